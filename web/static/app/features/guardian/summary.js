// What the home screen and the 亲友互助 tile need at a glance: my running
// trip, the trips I guard that are running, and invitations waiting for
// me (the tile's badge). Kept in memory; refreshed by init, by a slow
// poll, when the app comes back to the foreground, and after changes.

import { api } from '../../../shared/api.js';
import { startTracker } from './tracker.js';

let data = { mine: null, guarding: [], invites: 0, loaded: false };
const subs = new Set();
let inflight = null;
let lastAt = 0;
let lastBadge = -1;

export function summary() {
  return data;
}

/** fn(summary) after every refresh; returns unsubscribe. */
export function onSummary(fn) {
  subs.add(fn);
  return () => subs.delete(fn);
}

export function resetSummary() {
  lastAt = 0;
  lastBadge = -1;
  data = { mine: null, guarding: [], invites: 0, loaded: false };
}

/** Re-reads the summary (at most once per maxAge ms when given). */
export function refreshSummary(shell, { maxAge = 0 } = {}) {
  if (inflight) return inflight;
  if (maxAge && data.loaded && Date.now() - lastAt < maxAge) return Promise.resolve(data);
  inflight = (async () => {
    try {
      const [links, trips] = await Promise.all([
        api.get('/api/v1/guardians', { timeoutMs: 10000 }),
        api.get('/api/v1/trips', { timeoutMs: 10000 }),
      ]);
      const mine = (trips.trips || []).find((x) => x.state === 'active') || null;
      data = {
        mine,
        guarding: (trips.guarding || []).filter((x) => x.state === 'active'),
        invites: (links.invites || []).length,
        loaded: true,
      };
      // A running trip shares its position while the app is open, on any
      // screen (reloads included) — and never outside a trip.
      if (mine) startTracker(mine.id);
      lastAt = Date.now();
      // setBadge re-renders the home screen: only when the number changes.
      if (data.invites !== lastBadge) {
        lastBadge = data.invites;
        shell?.setBadge('guardian', data.invites);
      }
      for (const fn of subs) fn(data);
    } catch { /* offline: keep what we had */ } finally {
      inflight = null;
    }
    return data;
  })();
  return inflight;
}

// The caller's position during an alarm (and only then: DESIGN §2's
// privacy rule). firstFix() for the raise, watch() while the alarm lasts;
// updates are thinned out before they go to the server, so a phone that
// reports every second does not flood the dispatcher's trail.

/** One fix as the API wants it: WGS-84 {lat, lng, accuracy_m, source}. */
function toPos(p) {
  return { lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: Math.min(100000, Math.round((p.coords.accuracy || 0) * 10) / 10), source: 'gps' };
}

/** The browser's verdict: 'granted' | 'denied' | 'prompt' | 'unknown'. */
export async function permission() {
  try {
    const s = await navigator.permissions?.query({ name: 'geolocation' });
    return s?.state || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * firstFix(timeoutMs) → a position or null: the alarm never waits longer
 * than timeoutMs for one (it goes without and sends the position later).
 */
export function firstFix(timeoutMs = 4000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    const timer = setTimeout(() => resolve(null), timeoutMs);
    navigator.geolocation.getCurrentPosition(
      (p) => { clearTimeout(timer); resolve(toPos(p)); },
      () => { clearTimeout(timer); resolve(null); },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 10000 });
  });
}

/** Metres between two WGS-84 points. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const x = Math.sin((b.lat - a.lat) * rad / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin((b.lng - a.lng) * rad / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(x)));
}

/**
 * watch({ onFix(pos), onSend(pos) → Promise, onState(state) }) follows the
 * position; onSend is called for fixes worth sending: moved at least 15 m
 * (or half the accuracy), accuracy much better, or 60 s since the last one,
 * never more often than every 5 s. state: 'sharing' | 'denied' |
 * 'unavailable'. Returns stop().
 */
export function watch({ onFix, onSend, onState, last = null }) {
  if (!navigator.geolocation) {
    onState?.('unavailable');
    return () => {};
  }
  let sent = last ? { pos: last, at: Date.now() } : null;
  let busy = false;
  let queued = null;
  const worth = (pos) => {
    if (!sent) return true;
    const age = Date.now() - sent.at;
    if (age < 5000) return false;
    const moved = distanceM(sent.pos, pos);
    return moved >= Math.max(15, pos.accuracy_m / 2) || pos.accuracy_m < sent.pos.accuracy_m / 2 || age >= 60000;
  };
  const push = async (pos) => {
    if (busy) {
      queued = pos;
      return;
    }
    busy = true;
    try {
      await onSend(pos);
      sent = { pos, at: Date.now() };
    } catch { /* the next fix tries again */ } finally {
      busy = false;
      if (queued && worth(queued)) {
        const q = queued;
        queued = null;
        push(q);
      }
    }
  };
  // A fix worth sending that comes too soon after the last one goes out
  // when the 5 s are up (a phone standing still may report nothing more).
  let later = null;
  const id = navigator.geolocation.watchPosition(
    (p) => {
      const pos = toPos(p);
      onState?.('sharing');
      onFix?.(pos);
      clearTimeout(later);
      if (worth(pos)) push(pos);
      else if (sent && Date.now() - sent.at < 5000) {
        later = setTimeout(() => { if (worth(pos)) push(pos); }, 5000 - (Date.now() - sent.at) + 50);
      }
    },
    (err) => { if (err.code !== 3) onState?.(err.code === 1 ? 'denied' : 'unavailable'); },
    // No timeout: a phone that stands still reports nothing new, and that is fine.
    { enableHighAccuracy: true, maximumAge: 5000 });
  return () => {
    clearTimeout(later);
    navigator.geolocation.clearWatch(id);
  };
}

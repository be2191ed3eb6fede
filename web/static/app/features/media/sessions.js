// sessions: live media sessions that outlive a re-render.
//
// The shells re-render the current screen on a language switch (and the
// alarm screens on many changes); a call must not hang up for that. A
// screen acquires the session of its alarm when it renders and releases it
// when it leaves; the session is closed only if nobody acquired it again
// within a short grace period (i.e. the user really left the screen).
//
//   const s = acquire('caller:' + alarmId, () => new MediaSession({...}).start());
//   const off = s.listen({ onChange: draw });
//   ctx.onLeave(() => { off(); release('caller:' + alarmId); });

import { MediaSession } from './rtc.js';

const live = new Map(); // key → { session, holders, timer }

/** The live session under key, or a new one from make(). */
export function acquire(key, make) {
  const e = live.get(key);
  if (e && e.session.state !== 'closed') {
    clearTimeout(e.timer);
    e.timer = null;
    e.holders++;
    return e.session;
  }
  const session = make();
  live.set(key, { session, holders: 1, timer: null });
  return session;
}

/** The live session under key without acquiring it (null when none). */
export function peek(key) {
  const e = live.get(key);
  return e && e.session.state !== 'closed' ? e.session : null;
}

/** Gives the session back; it hangs up after graceMs unless acquired again. */
export function release(key, graceMs = 1500) {
  const e = live.get(key);
  if (!e) return;
  e.holders = Math.max(0, e.holders - 1);
  if (e.holders > 0) return;
  clearTimeout(e.timer);
  e.timer = setTimeout(() => {
    if (e.holders > 0) return;
    if (live.get(key) === e) live.delete(key);
    e.session.close();
  }, graceMs);
}

/** Hangs up now (the user pressed hang-up, or the alarm ended). */
export function end(key) {
  const e = live.get(key);
  if (!e) return;
  clearTimeout(e.timer);
  live.delete(key);
  e.session.close();
}

export { MediaSession };

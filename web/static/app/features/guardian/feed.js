// The live view of a trip (traveller and guardians alike): the WebSocket
// GET /api/v1/trips/{id}/feed sends a snapshot, then updates after our
// cursor; on reconnect we resume from the cursor, so nothing is missed
// and nothing is applied twice (points by seq, media by id, events by rev).

import { connect } from '../../../shared/ws.js';

/**
 * tripFeed(id, { onChange(state, what), onStatus(s), onGone(code) }) →
 * { state, close() }. state: { trip, points (sorted by time), media,
 * events, cursor }.
 */
export function tripFeed(id, { onChange, onStatus, onGone } = {}) {
  const st = { trip: null, points: [], media: [], events: [], cursor: 0 };
  const bySeq = new Map();
  const byMedia = new Map();
  const byRev = new Map();

  function apply(msg) {
    if (msg.type === 'error') {
      onGone?.(msg.error?.code || 'trip_not_found');
      return;
    }
    if (msg.type !== 'snapshot' && msg.type !== 'update') return;
    if (msg.type === 'snapshot') {
      bySeq.clear();
      byMedia.clear();
      byRev.clear();
      st.trip = null;
    }
    for (const p of msg.points || []) bySeq.set(p.seq, p);
    for (const m of msg.media || []) byMedia.set(m.id, m);
    for (const e of msg.events || []) byRev.set(e.rev, e);
    if (msg.trip) {
      // A partial update carries the live fields only.
      st.trip = msg.partial && st.trip
        ? { ...st.trip, state: msg.trip.state, last: msg.trip.last || st.trip.last, last_seen_at: msg.trip.last_seen_at, silent: msg.trip.silent, cursor: msg.trip.cursor }
        : msg.trip;
    }
    st.points = [...bySeq.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.seq - b.seq);
    st.media = [...byMedia.values()].sort((a, b) => Date.parse(a.captured_at) - Date.parse(b.captured_at));
    st.events = [...byRev.values()].sort((a, b) => a.rev - b.rev);
    st.cursor = Math.max(st.cursor, msg.cursor || 0);
    onChange?.(st, msg);
  }

  const sock = connect(`/api/v1/trips/${encodeURIComponent(id)}/feed`, {
    query: () => (st.cursor ? { cursor: st.cursor } : {}),
    onMessage: (msg) => {
      if (msg && typeof msg === 'object') apply(msg);
    },
    onStatus: (s) => onStatus?.(s),
    onRejected: () => onGone?.('trip_not_found'),
  });
  return { state: st, close: () => sock.close() };
}

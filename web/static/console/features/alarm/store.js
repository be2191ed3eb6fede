// The console's live picture of the centre: one WebSocket on
// /api/v1/alarms/feed (a snapshot of the live alarms, then every event in
// order; on reconnect it resumes from our cursor, so nothing is missed or
// doubled). Screens subscribe; the nav badge and the new-alarm alert follow.

import { connect } from '../../../shared/ws.js';
import { api } from '../../../shared/api.js';
import { LIVE, inArea } from './common.js';

const alarms = new Map(); // id → alarm (queued or answered, visible here)
const subs = new Set();
let sock = null;
let cursor = null;
let status = 'closed';
let me = null;
let synced = false;

/** The live alarms, queued oldest first, then answered. */
export function liveAlarms() {
  return [...alarms.values()];
}

export function queued() {
  return liveAlarms().filter((a) => a.state === 'queued').sort((a, b) => Date.parse(a.raised_at) - Date.parse(b.raised_at));
}

export function inProgress() {
  return liveAlarms().filter((a) => a.state === 'answered').sort((a, b) => Date.parse(a.answered_at || a.raised_at) - Date.parse(b.answered_at || b.raised_at));
}

export function feedStatus() {
  return { status, synced };
}

/**
 * subscribe(fn) → unsubscribe. fn({ type, alarm, fresh }) runs after every
 * change: type 'snapshot' | 'event' | 'status'; fresh is true when an alarm
 * just started waiting here (raised, overflowed or transferred to us,
 * returned to the queue): the alert's cue.
 */
export function subscribe(fn) {
  subs.add(fn);
  return () => subs.delete(fn);
}

function emit(change) {
  for (const fn of subs) {
    try {
      fn(change);
    } catch (e) {
      console.error('alarm store subscriber', e);
    }
  }
}

/** Whether the officer's console shows a: dispatchers their centre's and what is offered to it, supervisors their area. */
function mine(a) {
  if (!me || !LIVE.has(a.state)) return false;
  const code = me.center?.code;
  if (me.role === 'dispatcher') {
    return a.center?.code === code || (a.offered_to || []).some((c) => c.code === code);
  }
  return inArea(code, a.center?.code) || (a.offered_to || []).some((c) => inArea(code, c.code));
}

function apply(a) {
  const before = alarms.get(a.id);
  if (before && before.cursor > a.cursor && a.cursor) return false; // older news
  if (mine(a)) {
    alarms.set(a.id, a);
    return !before || before.state !== 'queued' ? a.state === 'queued' : false;
  }
  alarms.delete(a.id);
  return false;
}

function onMessage(msg) {
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'snapshot') {
    const had = new Set(alarms.keys());
    alarms.clear();
    for (const a of msg.alarms || []) {
      if (mine(a)) alarms.set(a.id, a);
    }
    if (msg.cursor !== undefined) cursor = msg.cursor;
    emit({ type: 'snapshot', fresh: queued().some((a) => !had.has(a.id)) });
  } else if (msg.type === 'event') {
    const e = msg.event;
    cursor = e.seq;
    if (e.alarm) {
      const fresh = apply(e.alarm);
      emit({ type: 'event', event: e, alarm: e.alarm, fresh });
    }
  } else if (msg.type === 'synced') {
    synced = true;
    emit({ type: 'status' });
  } else if (msg.type === 'error') {
    console.warn('alarm feed:', msg.error);
  }
}

/** Starts the feed for the signed-in officer; returns stop. */
export function start(shell) {
  stop();
  me = shell.me();
  sock = connect('/api/v1/alarms/feed', {
    query: () => (cursor === null ? {} : { cursor }),
    onMessage,
    onOpen: () => emit({ type: 'status' }),
    onStatus: (s) => {
      status = s;
      if (s !== 'open') synced = false;
      emit({ type: 'status' });
    },
    onRejected: () => emit({ type: 'status' }),
  });
  return stop;
}

export function stop() {
  sock?.close();
  sock = null;
  cursor = null;
  alarms.clear();
  status = 'closed';
  synced = false;
}

/** Sends read receipts for an alarm over the console feed (used when no per-alarm feed is open). */
export function ack(alarmId, upto) {
  return sock?.send({ type: 'ack', alarm_id: alarmId, delivered_upto: upto, read_upto: upto }) || false;
}

/** Re-reads the live alarms over HTTP (after an answer conflict, for instance). */
export async function refresh() {
  try {
    const snap = await api.get('/api/v1/alarms/live');
    // Keep the socket's cursor: the feed goes on from where it is.
    onMessage({ type: 'snapshot', cursor: cursor === null ? snap.cursor : undefined, alarms: snap.alarms });
  } catch (e) {
    if (!e.offline) console.warn('alarm refresh', e);
  }
}

/** Merges an alarm the UI got from an HTTP answer (answer, transfer...). */
export function put(a) {
  if (!a?.id) return;
  apply(a);
  emit({ type: 'event', alarm: a, fresh: false });
}

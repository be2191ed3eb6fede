// The traveller's position sharing during a trip — and only then.
//
// watchPosition gives fixes; each gets the next client seq (the server's
// idempotency key) and waits in a queue kept in localStorage, so a reload,
// a tunnel or a dead network loses nothing: batches go up every couple of
// seconds, failures back off and retry, and whatever the server answers
// for a point (accepted, duplicate, refused for good) drops it from the
// queue. One tracker per page; it keeps running while the traveller moves
// between screens and stops when the trip ends or they sign out.

import { api } from '../../../shared/api.js';

const KEY = (id) => 'open110.guardian.trip.' + id;
const BATCH = 200;       // points per request (the server takes up to 500)
const SEND_AFTER = 1500; // ms after a fix: fixes arriving together go in one batch
const HEARTBEAT = 60000; // ask for a fix when none came for this long (standing still)

let current = null;

/** The running tracker, if any. */
export function activeTracker() {
  return current;
}

/** Starts (or returns) the tracker of trip id. */
export function startTracker(id) {
  if (current?.id === id) return current;
  current?.stop();
  current = new Tracker(id);
  current.start();
  return current;
}

/** Stops sharing (trip ended, sign-out). clear: forget the queue too. */
export function stopTracker({ clear = false } = {}) {
  if (!current) return;
  current.stop();
  if (clear) current.clear();
  current = null;
}

class Tracker {
  constructor(id) {
    this.id = id;
    this.state = 'locating'; // locating | sharing | denied | unavailable | stopped
    this.last = null;        // the newest fix {lat, lng, accuracy_m, at}
    this.subs = new Set();
    this.watch = null;
    this.timer = null;
    this.beat = null;
    this.busy = false;
    this.backoff = 0;
    this.lastFixAt = 0;
    const saved = (() => {
      try {
        return JSON.parse(localStorage.getItem(KEY(id)) || 'null');
      } catch {
        return null;
      }
    })();
    this.seq = saved?.seq || 0;
    this.queue = Array.isArray(saved?.queue) ? saved.queue : [];
    this.onOnline = () => this.flushSoon(0);
  }

  save() {
    try {
      localStorage.setItem(KEY(this.id), JSON.stringify({ seq: this.seq, queue: this.queue.slice(-5000) }));
    } catch { /* storage full or blocked: the queue lives in memory */ }
  }

  clear() {
    try {
      localStorage.removeItem(KEY(this.id));
    } catch { /* ignore */ }
  }

  /** fn(tracker) on every change; returns unsubscribe. */
  subscribe(fn) {
    this.subs.add(fn);
    fn(this);
    return () => this.subs.delete(fn);
  }

  emit() {
    for (const fn of this.subs) {
      try {
        fn(this);
      } catch (e) {
        console.error('tracker listener', e);
      }
    }
  }

  get pending() {
    return this.queue.length;
  }

  start() {
    if (!navigator.geolocation) {
      this.state = 'unavailable';
      this.emit();
      return;
    }
    const opts = { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 };
    this.watch = navigator.geolocation.watchPosition((p) => this.fix(p), (e) => this.fail(e), opts);
    this.beat = setInterval(() => {
      if (Date.now() - this.lastFixAt < HEARTBEAT) return;
      navigator.geolocation.getCurrentPosition((p) => this.fix(p, true), () => {}, { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 });
    }, HEARTBEAT / 2);
    window.addEventListener('online', this.onOnline);
    if (this.queue.length) this.flushSoon(0);
  }

  stop() {
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    this.watch = null;
    clearInterval(this.beat);
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    this.state = 'stopped';
    this.emit();
    this.subs.clear();
  }

  fix(p, heartbeat = false) {
    if (this.state === 'stopped') return;
    const c = p.coords;
    // A heartbeat re-reads the position when standing still: stamp it now
    // (the cached fix may predate what the server has).
    const at = new Date(heartbeat ? Date.now() : Math.min(p.timestamp || Date.now(), Date.now()));
    this.lastFixAt = Date.now();
    const pt = { seq: ++this.seq, at: at.toISOString(), lat: c.latitude, lng: c.longitude, accuracy_m: Math.round(Math.min(c.accuracy || 0, 100000)) };
    this.queue.push(pt);
    this.last = pt;
    this.state = 'sharing';
    this.save();
    this.emit();
    this.flushSoon(SEND_AFTER);
  }

  fail(e) {
    if (this.state === 'stopped') return;
    this.state = e.code === 1 ? 'denied' : 'unavailable';
    this.emit();
  }

  flushSoon(ms) {
    if (this.state === 'stopped' && !this.queue.length) return;
    if (this.timer) {
      if (ms > 0) return; // one is coming
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, ms);
  }

  async flush() {
    if (this.busy || !this.queue.length) return;
    this.busy = true;
    const batch = this.queue.slice(0, BATCH);
    let retry = false;
    try {
      await api.post(`/api/v1/trips/${encodeURIComponent(this.id)}/points`, { points: batch }, { timeoutMs: 20000 });
      this.drop(batch);
      this.backoff = 0;
    } catch (e) {
      if (e.code === 'trip_ended' || e.code === 'trip_not_found') {
        // Nothing more can be stored for this trip.
        this.queue = [];
        this.save();
        this.busy = false;
        stopTracker({ clear: true });
        return;
      }
      if (e.status === 400 || e.status === 413) {
        // A batch the server will never take (a bad fix): drop it rather
        // than block every later point behind it.
        console.warn('guardian: points refused', e.code, e.message);
        this.drop(batch);
      } else {
        retry = true; // network, timeout, 5xx, 429: keep and try again
      }
    }
    this.busy = false;
    this.emit();
    if (retry) {
      this.backoff = Math.min(60000, this.backoff ? this.backoff * 2 : 2000);
      this.flushSoon(this.backoff);
    } else if (this.queue.length) {
      this.flushSoon(0);
    }
  }

  drop(batch) {
    const sent = new Set(batch.map((p) => p.seq));
    this.queue = this.queue.filter((p) => !sent.has(p.seq));
    this.save();
  }
}

// ws: a WebSocket that signs in, reconnects and resumes.
//
//   import { connect } from '../shared/ws.js';
//   let cursor = '';
//   const sock = connect('/api/v1/alarms/ws', {
//     query: () => ({ cursor }),              // re-evaluated on every (re)connect: resume point
//     onMessage: (msg) => { cursor = msg.cursor || cursor; ... },   // parsed JSON
//     onOpen: ({ reconnected }) => { if (reconnected) resyncFromHTTP(); },
//     onStatus: (s) => banner(s),             // 'connecting' | 'open' | 'closed'
//   });
//   sock.send({ type: 'ping' });              // false when not connected (nothing is queued)
//   sock.close();                             // for good: no more reconnects
//
// The token goes in "?access_token=" because browsers cannot set headers on
// a WebSocket (the server accepts that for upgrades only). Reconnects back
// off exponentially from 0.5 s to 15 s with jitter and reset after a
// connection has stayed up 10 s. Close codes 4401/4403 (or 1008) mean the
// server refuses us: no retry, onRejected runs. The database is the source
// of truth: after a reconnect, re-sync over HTTP from your cursor — the
// socket only carries wake-ups and live events.

import { token } from './api.js';

export function wsURL(path, params) {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u.toString();
}

export function connect(path, opts = {}) {
  const minDelay = opts.minDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 15000;
  let sock = null;
  let closed = false;
  let attempts = 0;
  let everOpened = false;
  let timer = null;
  let openedAt = 0;
  let status = 'closed';

  const setStatus = (s) => {
    if (s === status) return;
    status = s;
    opts.onStatus?.(s);
  };

  function open() {
    if (closed) return;
    setStatus('connecting');
    const params = { ...(opts.query ? opts.query() : {}), access_token: token() };
    let s;
    try {
      s = new WebSocket(wsURL(path, params), opts.protocols);
    } catch (e) {
      console.warn('ws: cannot open', e);
      schedule();
      return;
    }
    sock = s;
    s.onopen = () => {
      openedAt = Date.now();
      setStatus('open');
      const reconnected = everOpened;
      everOpened = true;
      opts.onOpen?.({ reconnected });
    };
    s.onmessage = (ev) => {
      let msg = ev.data;
      if (typeof msg === 'string') {
        try {
          msg = JSON.parse(msg);
        } catch {
          /* not JSON: hand over the text */
        }
      }
      opts.onMessage?.(msg);
    };
    s.onclose = (ev) => {
      if (sock !== s) return;
      sock = null;
      if (Date.now() - openedAt > 10000) attempts = 0;
      if (ev.code === 4401 || ev.code === 4403 || ev.code === 1008) {
        closed = true;
        setStatus('closed');
        opts.onRejected?.(ev);
        return;
      }
      schedule();
    };
    s.onerror = () => { /* onclose follows and reconnects */ };
  }

  function schedule() {
    if (closed) return;
    setStatus('connecting');
    const base = Math.min(maxDelay, minDelay * 2 ** attempts);
    attempts++;
    const delay = base / 2 + Math.random() * base / 2;
    timer = setTimeout(open, delay);
  }

  // Coming back online or to the foreground: try now rather than wait out the backoff.
  const kick = () => {
    if (closed || sock) return;
    clearTimeout(timer);
    attempts = 0;
    open();
  };
  const onVisible = () => { if (!document.hidden) kick(); };
  window.addEventListener('online', kick);
  document.addEventListener('visibilitychange', onVisible);

  open();

  return {
    send(obj) {
      if (!sock || sock.readyState !== WebSocket.OPEN) return false;
      sock.send(typeof obj === 'string' || obj instanceof Blob || obj instanceof ArrayBuffer ? obj : JSON.stringify(obj));
      return true;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      window.removeEventListener('online', kick);
      document.removeEventListener('visibilitychange', onVisible);
      if (sock) sock.close(1000);
      sock = null;
      setStatus('closed');
    },
    get status() {
      return status;
    },
    /** Drop the connection and reconnect now (e.g. after signing in again). */
    reconnect() {
      if (closed) return;
      clearTimeout(timer);
      attempts = 0;
      if (sock) {
        const s = sock;
        sock = null;
        s.close(1000);
      }
      open();
    },
  };
}

// api: the one way the UIs talk to /api/v1.
//
//   import { api, ApiError } from '../shared/api.js';
//   const alarm = await api.post('/api/v1/alarms', { kind: 'video', location });
//   const list  = await api.get('/api/v1/alarms', { query: { state: 'queued' } });
//   await api.upload('/api/v1/tips/123/media', blob, { query: { kind: 'photo' } });
//
// Requests send and expect JSON and carry "Authorization: Bearer <token>"
// when signed in. Failures throw ApiError:
//   - the server's {"error":{"code","message",...}} → err.code, err.message,
//     err.status, err.details (the whole error object)
//   - no answer at all (offline, server down, DNS) → err.code === 'network'
//     (err.offline is true); the shells then show the "call 110 / SMS 12110"
//     banner, because an alarm must never just fail silently
//   - a request that outlives opts.timeoutMs (default 15 s) → code 'timeout'
// A 401 with a token we sent means the session is gone: the token is
// dropped and onSignedOut listeners run (the shell shows sign-in).

export class ApiError extends Error {
  constructor(code, message, status = 0, details = {}) {
    super(message || code);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
  get offline() {
    return this.code === 'network' || this.code === 'timeout';
  }
}

let tokenKey = 'open110.token';
const signedOut = new Set();
const connectivity = new Set();
let online = true;

let probe = null;

function setOnline(v) {
  if (v === online) return;
  online = v;
  // While offline, ask /healthz every 10 s so the banner goes away by
  // itself once the server answers again (not only after the next request).
  clearInterval(probe);
  probe = v ? null : setInterval(async () => {
    try {
      const r = await fetch('/healthz', { cache: 'no-store', credentials: 'omit' });
      if (r.ok) setOnline(true);
    } catch { /* still offline */ }
  }, 10000);
  for (const fn of connectivity) fn(v);
}

/** Each shell keeps its own session: the citizen app and the console may share a browser. */
export function setTokenKey(key) {
  tokenKey = key;
}

export function token() {
  try {
    return localStorage.getItem(tokenKey) || '';
  } catch {
    return '';
  }
}

export function setToken(t) {
  try {
    if (t) localStorage.setItem(tokenKey, t);
    else localStorage.removeItem(tokenKey);
  } catch { /* storage blocked: the session lasts this page only */ }
}

/** fn() runs when the server says our session is no longer valid. Returns unsubscribe. */
export function onSignedOut(fn) {
  signedOut.add(fn);
  return () => signedOut.delete(fn);
}

/** fn(isOnline) runs when requests start failing for lack of network, or work again. */
export function onConnectivity(fn) {
  connectivity.add(fn);
  return () => connectivity.delete(fn);
}

export function isOnline() {
  return online;
}

window.addEventListener('offline', () => setOnline(false));
window.addEventListener('online', () => setOnline(true));

function buildURL(path, query) {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? path + (path.includes('?') ? '&' : '?') + s : path;
}

/**
 * request(method, path, opts) → parsed JSON (or null for 204, or the
 * Response when opts.raw). opts: { body (JSON-encoded unless it is a
 * Blob/FormData/ArrayBuffer), query, headers, signal, timeoutMs, raw, contentType }.
 */
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const tok = token();
  if (tok) headers.Authorization = 'Bearer ' + tok;
  let body = opts.body;
  if (body !== undefined && body !== null && !(body instanceof Blob) && !(body instanceof FormData) &&
      !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body)) {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  } else if (opts.contentType) {
    headers['Content-Type'] = opts.contentType;
  }
  const ctl = new AbortController();
  const timeoutMs = opts.timeoutMs ?? 15000;
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; ctl.abort(); }, timeoutMs) : null;
  if (opts.signal) {
    if (opts.signal.aborted) ctl.abort();
    else opts.signal.addEventListener('abort', () => ctl.abort(), { once: true });
  }
  let res;
  try {
    res = await fetch(buildURL(path, opts.query), { method, headers, body, signal: ctl.signal, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    if (opts.signal?.aborted) throw e; // the caller cancelled: not a network problem
    setOnline(false);
    if (timedOut) throw new ApiError('timeout', 'the server did not answer in time');
    throw new ApiError('network', 'the server cannot be reached');
  } finally {
    if (timer) clearTimeout(timer);
  }
  setOnline(true);
  if (opts.raw && res.ok) return res;
  if (res.status === 204) return null;
  let data = null;
  const ct = res.headers.get('Content-Type') || '';
  if (ct.includes('json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = data && data.error ? data.error : {};
    const err = new ApiError(e.code || 'http_' + res.status, e.message || res.statusText, res.status, e);
    if (res.status === 401 && tok && err.code !== 'totp_required' && err.code !== 'invalid_credentials') {
      setToken('');
      for (const fn of signedOut) fn(err);
    }
    throw err;
  }
  return data;
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body, opts) => request('POST', path, { ...opts, body }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
  /** Sends a Blob/File as the raw body with its own type (media, photos). */
  upload: (path, blob, opts = {}) =>
    request('POST', path, { timeoutMs: 120000, ...opts, body: blob, contentType: opts.contentType || blob.type || 'application/octet-stream' }),
};

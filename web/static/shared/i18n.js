// i18n: Simplified Chinese first, English on request.
//
//   import { t, addStrings, lang, setLang, onLangChange, fmtTime } from '../shared/i18n.js';
//   addStrings({ 'zh-CN': { 'alarm.title': '视频报警' }, en: { 'alarm.title': 'Video alarm' } });
//   t('alarm.title')                       // → '视频报警'
//   t('alarm.waiting', { n: 3 })           // '{n}' in the string is replaced
//
// Every visible string goes through t(). Keys are "<feature>.<name>". A key
// missing in English falls back to Chinese; a key missing everywhere shows
// the key itself (and warns once), so gaps are visible, never blank.
// The choice is kept in localStorage ("open110.lang").

export const LANGS = ['zh-CN', 'en'];
const STORE_KEY = 'open110.lang';
const dicts = { 'zh-CN': {}, en: {} };
const listeners = new Set();
const warned = new Set();

let current = (() => {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch { /* storage blocked: default */ }
  return 'zh-CN';
})();
document.documentElement.lang = current;

/** Adds (or overrides) strings: { 'zh-CN': {key: text}, en: {key: text} }. */
export function addStrings(byLang) {
  for (const [l, d] of Object.entries(byLang || {})) {
    if (!dicts[l]) dicts[l] = {};
    Object.assign(dicts[l], d);
  }
}

/** The text for key in the current language, with {name} placeholders filled from vars. */
export function t(key, vars) {
  let s = dicts[current][key] ?? dicts['zh-CN'][key];
  if (s === undefined) {
    if (!warned.has(key)) {
      warned.add(key);
      console.warn('i18n: missing string', key);
    }
    s = key;
  }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** Whether key has a string (in any language). */
export function has(key) {
  return key in dicts[current] || key in dicts['zh-CN'];
}

export function lang() {
  return current;
}

/** Switches language, remembers it, and tells listeners (the shells re-render). */
export function setLang(l) {
  if (!LANGS.includes(l) || l === current) return;
  current = l;
  try {
    localStorage.setItem(STORE_KEY, l);
  } catch { /* private mode: still switch for this page */ }
  document.documentElement.lang = l;
  for (const fn of listeners) fn(l);
}

/** Calls fn(lang) after every switch; returns an unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Times: stored and sent as UTC RFC 3339; always shown in China Standard
// Time, whatever the device's zone (a dispatcher and a caller must read the
// same clock).
export const TIME_ZONE = 'Asia/Shanghai';
const fmtCache = new Map();

function formatter(kind) {
  const k = current + '|' + kind;
  let f = fmtCache.get(k);
  if (!f) {
    const opts = { timeZone: TIME_ZONE, hourCycle: 'h23' };
    if (kind === 'time' || kind === 'datetime') Object.assign(opts, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (kind === 'date' || kind === 'datetime') Object.assign(opts, { year: 'numeric', month: '2-digit', day: '2-digit' });
    if (kind === 'short') Object.assign(opts, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    f = new Intl.DateTimeFormat(current, opts);
    fmtCache.set(k, f);
  }
  return f;
}

function toDate(v) {
  return v instanceof Date ? v : new Date(v);
}

/** "14:03:27" in Asia/Shanghai. Accepts a Date, RFC 3339 string or epoch ms. */
export function fmtTime(v) {
  return formatter('time').format(toDate(v));
}

/** "2025/01/09 14:03:27" in Asia/Shanghai. */
export function fmtDateTime(v) {
  return formatter('datetime').format(toDate(v));
}

/** "2025/01/09" in Asia/Shanghai. */
export function fmtDate(v) {
  return formatter('date').format(toDate(v));
}

/** "01/09 14:03" in Asia/Shanghai: for lists. */
export function fmtShort(v) {
  return formatter('short').format(toDate(v));
}

/** "3 分钟前" / "3 minutes ago". */
export function fmtAgo(v, now = Date.now()) {
  const s = Math.max(0, Math.round((now - toDate(v).getTime()) / 1000));
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: 'auto' });
  if (s < 60) return rtf.format(-s, 'second');
  if (s < 3600) return rtf.format(-Math.floor(s / 60), 'minute');
  if (s < 86400) return rtf.format(-Math.floor(s / 3600), 'hour');
  return rtf.format(-Math.floor(s / 86400), 'day');
}

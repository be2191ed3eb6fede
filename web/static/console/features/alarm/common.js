// Small pieces the console's alarm screens share: kind labels and icons,
// waiting-time formatting, the stylesheet, downloads with the session token.

import { h, icon } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { request } from '../../../shared/api.js';

export const KINDS = ['video', 'silent', 'voice', 'text', 'sms'];
export const KIND_ICON = { video: 'video', silent: 'silent', voice: 'voice', text: 'text', sms: 'sms' };
export const LIVE = new Set(['queued', 'answered']);

let cssLoaded = false;
/** Adds alarm.css once (our own stylesheet: CSP allows it). */
export function loadCSS() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: new URL('./alarm.css', import.meta.url).href }));
}

/** The kind as an icon and a label, e.g. [icon] 文字报警. */
export function kindTag(kind) {
  return h('span', { class: ['al-kind', 'k-' + kind], 'data-kind': kind }, icon(KIND_ICON[kind] || 'info', { size: 18 }), h('span', null, t('al.kind.' + kind)));
}

export function stateTag(state) {
  return h('span', { class: ['al-state', 'st-' + state], 'data-state': state }, t('al.state.' + state));
}

/** Seconds since an RFC 3339 time (never negative: clocks differ a little). */
export function since(at, now = Date.now()) {
  return Math.max(0, Math.floor((now - Date.parse(at)) / 1000));
}

/** 75 → "01:15", 3725 → "1:02:05". */
export function fmtDur(s) {
  s = Math.max(0, Math.floor(s));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The waiting-time class: NENA's 15 s and 20 s lines. */
export function waitClass(s) {
  return s >= 20 ? 'w-late' : s >= 15 ? 'w-warn' : 'w-ok';
}

/** "38.04280, 114.51490 ±10 m" or a dash. */
export function fmtPos(p) {
  if (!p) return t('al.noPosition');
  return `${p.lat.toFixed(5)}, ${p.lng.toFixed(5)} ±${Math.round(p.accuracy_m || 0)} m`;
}

/** Great-circle distance in metres between two WGS-84 points. */
export function distanceM(a, b) {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(x)));
}

/** A known code's label (al.<group>.<code>), else the text itself. */
export function label(group, code) {
  const k = `al.${group}.${code}`;
  const s = t(k);
  return s === k ? code : s;
}

/** "11 位号码" as people read it. */
export function prettyPhone(p) {
  if (!p) return '';
  const d = String(p).replace(/^\+86/, '').replace(/\D/g, '');
  return d.length === 11 ? d.slice(0, 3) + ' ' + d.slice(3, 7) + ' ' + d.slice(7) : p;
}

/** Downloads an API response as a file; the token goes in the header, never the URL. */
export async function download(path, fallbackName) {
  const res = await request('GET', path, { raw: true, timeoutMs: 60000 });
  const blob = await res.blob();
  const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  const name = m ? m[1] : fallbackName;
  const a = h('a', { href: URL.createObjectURL(blob), download: name, 'data-download': name });
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

/** Whether an officer's area (centre code) covers centre c: the same centre, a city's counties, the province. */
export function inArea(area, c) {
  if (!area || !c) return false;
  if (area === c || area === '130000') return true;
  return area.endsWith('00') && c.slice(0, 4) === area.slice(0, 4);
}

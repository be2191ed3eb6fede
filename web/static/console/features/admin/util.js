// Helpers shared by the admin, audit, dashboard and profile console
// modules: their stylesheet, downloads with the session token, small UI bits.

import { h } from '../../../shared/ui.js';
import { request } from '../../../shared/api.js';

let cssLoaded = false;
/** Adds admin.css once (CSP allows our own stylesheets). */
export function loadCSS() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: new URL('./admin.css', import.meta.url).href }));
}

/** Downloads an API response (CSV, JSON) as a file; the token goes in the header, never the URL. */
export async function download(path, query, fallbackName) {
  const res = await request('GET', path, { query, raw: true, timeoutMs: 60000 });
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename="([^"]+)"/.exec(cd);
  const a = h('a', { href: URL.createObjectURL(blob), download: m ? m[1] : fallbackName, 'data-download': m ? m[1] : fallbackName });
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

/** A row of tab buttons; onSelect(id). */
export function tabs(items, current, onSelect) {
  return h('div', { class: 'adm-tabs', role: 'tablist' }, items.map(([id, label]) =>
    h('button', { type: 'button', role: 'tab', class: ['adm-tab', id === current && 'active'], 'aria-selected': id === current ? 'true' : 'false', 'data-tab': id, onclick: () => onSelect(id) }, label)));
}

/** A small modal dialog; returns { el, close }. */
export function dialog(title, ...body) {
  const el = h('div', { class: 'adm-modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
    h('div', { class: 'adm-modal-card' }, h('h2', null, title), body));
  const close = () => el.remove();
  el.addEventListener('click', (e) => { if (e.target === el) close(); });
  document.body.appendChild(el);
  return { el, close };
}

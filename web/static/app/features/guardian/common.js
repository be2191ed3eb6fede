// Small helpers shared by the 亲友互助 screens.

import { h, mount } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { request } from '../../../shared/api.js';

let cssLoaded = false;
/** Loads guardian.css once (the shell's CSS stays the shell's). */
export function loadCSS() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: new URL('./guardian.css', import.meta.url).href }));
}

/** "+8613800138000" → "138 0013 8000". */
export function prettyPhone(p) {
  const d = String(p || '').replace(/^\+86/, '').replace(/\D/g, '');
  return d.length === 11 ? d.slice(0, 3) + ' ' + d.slice(3, 7) + ' ' + d.slice(7) : String(p || '');
}

export const MODES = ['taxi', 'night_run', 'meeting', 'other'];
export const modeName = (m) => t('gd.mode.' + (MODES.includes(m) ? m : 'other'));

/**
 * A confirm step inside the screen (no window.confirm: it blocks, and looks
 * alien on a phone). Returns the box; onYes runs once.
 */
export function confirmBox({ question, hint, yes, yesClass = 'danger', testid, onYes, onNo }) {
  const box = h('div', { class: 'gd-confirm', role: 'alertdialog', 'data-testid': testid },
    h('p', { class: 'gd-confirm-q' }, question),
    hint ? h('p', { class: 'gd-confirm-hint' }, hint) : null);
  const yesBtn = h('button', { type: 'button', class: ['btn', yesClass], 'data-action': 'confirm-yes', onclick: () => { yesBtn.disabled = true; onYes(yesBtn); } }, yes);
  box.appendChild(h('div', { class: 'gd-confirm-row' },
    h('button', { type: 'button', class: 'btn', 'data-action': 'confirm-no', onclick: () => onNo?.() }, t('common.cancel')), yesBtn));
  return box;
}

/**
 * Media bytes need the Authorization header, so <img src> cannot fetch
 * them: fetch once, keep an object URL per media ID for this page's life.
 */
const urls = new Map();
export async function mediaURL(path, signal) {
  if (urls.has(path)) return urls.get(path);
  const p = request('GET', path, { raw: true, signal, timeoutMs: 120000 }).then((r) => r.blob()).then((b) => URL.createObjectURL(b));
  urls.set(path, p);
  try {
    return await p;
  } catch (e) {
    urls.delete(path);
    throw e;
  }
}

/**
 * A media thumbnail: photos load at once; video and voice load when
 * played (they can be large). path(m) → the API path of m's bytes.
 */
export function mediaThumb(m, path, { signal, fmt } = {}) {
  const cap = h('figcaption', null, t('gd.kind.' + m.kind), ' · ', fmt ? fmt(m.captured_at) : m.captured_at);
  const fig = h('figure', { class: ['gd-thumb', 'k-' + m.kind], 'data-media': m.id, 'data-kind': m.kind }, cap);
  if (m.kind === 'photo') {
    const img = h('img', { alt: t('gd.kind.photo'), loading: 'lazy' });
    fig.prepend(img);
    mediaURL(path(m), signal).then((u) => { img.src = u; fig.classList.add('loaded'); }).catch(() => fig.classList.add('failed'));
  } else {
    const btn = h('button', { type: 'button', class: 'gd-play', 'data-action': 'play-media' }, '▶ ', t('gd.play'));
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        const u = await mediaURL(path(m), signal);
        const el = h(m.kind === 'video' ? 'video' : 'audio', { src: u, controls: true, playsInline: true });
        mount(fig, el, cap);
        el.play?.().catch(() => {});
      } catch {
        btn.disabled = false;
      }
    });
    fig.prepend(btn);
  }
  return fig;
}

// ui: a tiny DOM builder and the pieces every screen shares.
//
//   import { h, screen, emergencyBar, toast } from '../shared/ui.js';
//   h('button', { class: 'btn primary', onclick: () => go(), disabled: busy }, t('x.send'))
//
// h(tag, props, ...children): props starting with "on" become listeners
// (set from JS: the CSP forbids inline handlers in HTML), "class", "style"
// (string or object), "dataset" (object), "aria-*"/"data-*"/"role"/"for"
// are attributes, anything else is set as a property (value, checked,
// disabled, href...). Children: nodes, strings, numbers, arrays; null,
// undefined and false are skipped.

import { t } from './i18n.js';
import { icon } from './icons.js';
import { canGoBack } from './router.js';

export { icon };

export function h(tag, props, ...children) {
  const el = tag.includes(':') ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1]) : document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'ref' && typeof v === 'function') v(el);
      else if (k === 'style' || k === 'role' || k === 'for' || k === 'id' || k === 'type' || k === 'name' ||
               k === 'autocomplete' || k === 'inputmode' || k === 'placeholder' || k === 'href' || k === 'src' ||
               k === 'alt' || k === 'title' || k === 'target' || k === 'rel' || k === 'tabindex' || k === 'maxlength' ||
               k === 'pattern' || k.startsWith('aria-') || k.startsWith('data-') || el instanceof SVGElement) {
        el.setAttribute(k, v === true ? '' : String(v));
      } else el[k] = v;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces el's content with children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * A standard phone screen: a header (back arrow when opts.back, a title,
 * optional actions) and a scrolling body.
 *   screen({ title: t('tip.title'), back: true }, body...)
 * opts.back: true (history back, or home when there is no history) or a path.
 */
export function screen(opts, ...body) {
  const back = opts.back
    ? h('a', {
        class: 'hdr-back', href: typeof opts.back === 'string' ? '#' + opts.back : '#/',
        'aria-label': t('common.back'),
        onclick: (e) => {
          if (opts.back === true && canGoBack()) {
            e.preventDefault();
            history.back();
          }
        },
      }, icon('back'))
    : null;
  return h('section', { class: ['screen', opts.class] },
    h('header', { class: 'hdr' }, back, h('h1', { class: 'hdr-title' }, opts.title), h('div', { class: 'hdr-actions' }, opts.actions || null)),
    h('div', { class: 'screen-body' }, body));
}

/**
 * The three always-working ways to call the police: 拨打110, 拨打122,
 * 短信报警 (12110). Plain tel:/sms: links, so they work with no network,
 * no session and no JavaScript beyond rendering.
 */
export function emergencyBar({ compact = false } = {}) {
  const link = (href, ic, label, sub, cls) =>
    h('a', { class: ['call', cls], href, 'data-call': href }, icon(ic, { size: compact ? 20 : 26 }),
      h('span', { class: 'call-label' }, label), sub ? h('span', { class: 'call-sub' }, sub) : null);
  return h('nav', { class: ['callbar', compact && 'compact'], 'aria-label': t('common.callbar') },
    link('tel:110', 'phone', t('common.call110'), null, 'c110'),
    link('tel:122', 'phone', t('common.call122'), null, 'c122'),
    link('sms:12110', 'sms', t('common.sms12110'), '12110', 'c12110'));
}

/** A screen for a function that is not built yet: says so plainly and offers the phone. */
export function notAvailable(titleKey, descKey) {
  return screen({ title: t(titleKey), back: true, class: 'na' },
    h('div', { class: 'na-box', role: 'status' },
      icon('info', { size: 40 }),
      h('p', { class: 'na-title' }, t('common.notAvailable')),
      descKey ? h('p', { class: 'na-desc' }, t(descKey)) : null,
      h('p', { class: 'na-hint' }, t('common.notAvailableHint'))),
    emergencyBar());
}

let toastTimer = null;
/** A short message at the bottom of the screen. kind: 'info' | 'error' | 'ok'. */
export function toast(msg, kind = 'info', ms = 3500) {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(el);
  }
  el.className = 'toast show ' + kind;
  el.textContent = msg;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), ms);
}

/** The user-facing text for an ApiError: our translation of its code if we have one, else the server's message. */
export function errorText(err) {
  if (!err) return '';
  const key = 'error.' + err.code;
  const s = t(key);
  if (s !== key) return s;
  return err.message || t('error.unknown');
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || 'f' + Math.random().toString(36).slice(2, 8);
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('div', { class: 'field-hint' }, hint) : null);
}

/** Language switch button: shows the other language's name. */
export function langSwitch(getLang, setLang, extraClass) {
  const other = getLang() === 'zh-CN' ? 'en' : 'zh-CN';
  return h('button', {
    type: 'button', class: ['lang-switch', extraClass], 'data-lang': other, lang: other,
    'aria-label': t('common.switchLanguage'),
    onclick: () => setLang(other),
  }, icon('globe', { size: 18 }), h('span', null, other === 'en' ? 'English' : '中文'));
}

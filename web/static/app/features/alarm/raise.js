// Raising an alarm (/alarm/:kind): one big button. The position is asked
// for while the caller reads the screen; the alarm waits at most a few
// seconds for it and goes without (the position follows later). The POST
// carries an Idempotency-Key: on a bad network the app retries with the
// same key, so the centre gets one alarm, never two — and meanwhile shows
// 拨打110 / 短信12110 prominently, because an alarm must never just hang.

import { h, screen, emergencyBar, icon, errorText, mount } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { firstFix } from './position.js';
import { remember } from './mine.js';

export const KINDS = ['video', 'silent', 'voice', 'text'];

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

// The raise in flight survives a re-render of the screen (language switch).
let inflight = null; // { kind, key, attempt, error, listeners:Set, promise, abort }

function notify() {
  for (const fn of inflight?.listeners || []) fn(inflight);
}

/**
 * raise(kind, {text, position}) → the created alarm. Retries network
 * failures and 5xx with the same Idempotency-Key (1, 2, 4, 8 s, then every
 * 8 s) until it succeeds, the server refuses (4xx: thrown), or abort().
 */
function raise(kind, { text, position }) {
  const ctl = new AbortController();
  const key = newKey();
  const state = { kind, key, attempt: 0, error: null, listeners: new Set(), abort: () => ctl.abort() };
  inflight = state;
  state.promise = (async () => {
    const pos = await position;
    const body = { kind };
    if (pos) body.location = pos;
    if (text) body.text = text;
    for (let delay = 1000; ; delay = Math.min(delay * 2, 8000)) {
      state.attempt++;
      notify();
      try {
        const a = await api.post('/api/v1/alarms', body, { headers: { 'Idempotency-Key': key }, timeoutMs: 12000, signal: ctl.signal });
        return a;
      } catch (e) {
        if (ctl.signal.aborted) throw e;
        const retry = e.offline || e.status >= 500 || e.status === 429;
        if (!retry) throw e;
        state.error = e;
        notify();
        await sleep(delay, ctl.signal);
        if (ctl.signal.aborted) throw e;
      }
    }
  })();
  state.promise.finally(() => { if (inflight === state) inflight = null; }).catch(() => {});
  return state;
}

/** The prominent "cannot reach the server" box with the phone and SMS links. */
export function unreachable(extra) {
  return h('div', { class: 'alc-unreachable', role: 'alert', 'data-testid': 'unreachable' },
    h('p', { class: 'alc-unreachable-title' }, icon('offline', { size: 22 }), h('span', null, t('alc.unreachable'))),
    extra ? h('p', null, extra) : null,
    emergencyBar());
}

export function renderRaise(ctx) {
  const kind = ctx.params.kind;
  if (!KINDS.includes(kind)) {
    return screen({ title: t('common.notFound'), back: '/' }, h('p', { class: 'na-desc' }, t('common.notFound')), emergencyBar());
  }
  const silent = kind === 'silent';
  let pos = null;
  let posDone = false;
  const posLine = h('p', { class: 'alc-pos', 'data-testid': 'position-indicator', 'data-state': 'locating' }, h('i', { class: 'alc-pos-dot' }), h('span', null, t('alc.locating')));
  const setPos = () => {
    posLine.dataset.state = pos ? 'ready' : posDone ? 'none' : 'locating';
    posLine.lastChild.textContent = pos ? t('alc.posReady', { acc: Math.round(pos.accuracy_m) }) : posDone ? t('alc.posNone') : t('alc.locating');
  };
  // Ask now, while the caller reads: the permission prompt comes before the button is pressed.
  const fix = firstFix(8000).then((p) => {
    pos = p;
    posDone = true;
    setPos();
    return p;
  });
  const text = h('textarea', { class: 'input', rows: 3, maxlength: '2000', name: 'text', 'data-testid': 'alarm-text', placeholder: t('alc.firstTextHint') });
  const status = h('div', { class: 'alc-raising', 'aria-live': 'assertive' });
  const btn = h('button', { type: 'button', class: ['btn', 'alc-raise', 'alc-k-' + kind], 'data-action': 'raise', onclick: () => start() },
    icon(kind, { size: 30 }), h('span', null, t('alc.raise.' + kind)));

  function follow(state) {
    btn.disabled = true;
    btn.lastChild.textContent = t('alc.raisingBtn');
    const draw = (s) => {
      mount(status,
        s.error ? unreachable(t('alc.retrying', { n: s.attempt })) : h('p', { class: 'alc-raising-msg' }, t('alc.raisingMsg')));
    };
    state.listeners.add(draw);
    ctx.onLeave(() => state.listeners.delete(draw));
    draw(state);
    state.promise.then((a) => {
      remember(a);
      if (!ctx.signal.aborted) ctx.shell.navigate('/alarm/call/' + a.id, { replace: true });
    }, (e) => {
      if (ctx.signal.aborted) return;
      btn.disabled = false;
      btn.lastChild.textContent = t('alc.raise.' + kind);
      mount(status, h('p', { class: 'form-msg', role: 'alert' }, errorText(e)), unreachable());
    });
  }

  function start() {
    if (inflight) return follow(inflight);
    // Wait for the first fix at most 3 s more; the alarm matters more than the fix.
    const position = Promise.race([fix, new Promise((r) => setTimeout(() => r(pos), 3000))]);
    follow(raise(kind, { text: text.value.trim(), position }));
  }

  if (inflight && inflight.kind === kind) queueMicrotask(() => follow(inflight));
  return screen({ title: t('fn.' + kind), back: '/', class: ['alc', silent && 'alc-silent'] },
    h('p', { class: 'alc-intro' }, t('fn.' + kind + '.desc')),
    posLine,
    kind === 'text' || silent ? h('div', { class: 'field' }, h('label', { for: 'alc-text' }, t('alc.firstText')), Object.assign(text, { id: 'alc-text' })) : null,
    btn,
    status,
    h('p', { class: 'note' }, icon('pin', { size: 16 }), h('span', null, t('alc.privacy'))),
    emergencyBar({ compact: true }));
}

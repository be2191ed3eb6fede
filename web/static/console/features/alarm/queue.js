// 警情队列: what waits (oldest first, waiting time ticking against the
// 15 s / 20 s lines, kind, suspicion with reasons, overflow and transfer
// marks) and what is being handled at the centre. Answer is one click;
// when another dispatcher was faster the row says so and goes away.

import { h, mount, icon, errorText } from '../../../shared/ui.js';
import { t, fmtTime } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import * as store from './store.js';
import { kindTag, stateTag, since, fmtDur, waitClass, fmtPos, loadCSS, prettyPhone } from './common.js';

/** Answers alarm id and opens it; on already_answered tells the dispatcher gracefully. Returns whether it worked. */
export async function answer(shell, id, btn) {
  if (btn) btn.disabled = true;
  try {
    const a = await api.post(`/api/v1/alarms/${encodeURIComponent(id)}/answer`, null);
    store.put(a);
    shell.navigate('/alarms/' + id);
    return true;
  } catch (e) {
    if (e.code === 'already_answered') {
      shell.toast(t('al.alreadyAnswered'), 'info');
      store.refresh();
    } else if (e.code === 'alarm_not_found' || e.code === 'invalid_transition') {
      shell.toast(t('al.gone'), 'info');
      store.refresh();
    } else {
      shell.toast(errorText(e), 'error');
    }
    if (btn) btn.disabled = false;
    return false;
  }
}

function overflowMark(a, me) {
  const code = me.center?.code;
  const marks = [];
  if (a.overflow > 0) marks.push(h('span', { class: 'al-mark m-overflow', 'data-mark': 'overflow', title: t('al.overflowHint') }, icon('chevron', { size: 14 }), t('al.overflow', { n: a.overflow })));
  if (a.center?.code !== code && me.role === 'dispatcher') {
    marks.push(h('span', { class: 'al-mark m-offered', 'data-mark': 'offered' }, t('al.offeredFrom', { name: a.center?.name || a.center?.code })));
  }
  if (a.routing?.by === 'outside') marks.push(h('span', { class: 'al-mark m-outside', 'data-mark': 'outside' }, t('al.outside')));
  if (a.routing?.by === 'province') marks.push(h('span', { class: 'al-mark m-noloc', 'data-mark': 'province' }, t('al.routedProvince')));
  return marks;
}

export function suspicionMarks(a) {
  if (!a.suspected) return null;
  const reasons = (a.suspicion || []).map((s) => t('al.susp.' + s.code) !== 'al.susp.' + s.code ? t('al.susp.' + s.code) : s.code);
  const detail = (a.suspicion || []).map((s) => s.detail).filter(Boolean).join('；');
  return h('span', { class: 'al-mark m-suspect', 'data-mark': 'suspected', title: detail || reasons.join('、') },
    icon('info', { size: 14 }), t('al.suspected'), reasons.length ? '：' + reasons.join('、') : '');
}

function queueRow(ctx, a) {
  const me = ctx.shell.me();
  const waited = since(a.queued_at || a.raised_at);
  const btn = h('button', { type: 'button', class: 'btn danger al-answer', 'data-action': 'answer', onclick: (ev) => answer(ctx.shell, a.id, ev.currentTarget) },
    t('al.answer'));
  return h('tr', { 'data-alarm': a.id, class: ['al-row', a.suspected && 'suspect'] },
    h('td', null, kindTag(a.kind)),
    h('td', { class: ['al-wait', 'mono', waitClass(waited)], 'data-wait': a.queued_at || a.raised_at }, fmtDur(waited)),
    h('td', null, h('div', null, fmtTime(a.raised_at)), h('div', { class: 'muted mono small' }, a.id.slice(-8))),
    h('td', null, h('div', { class: 'mono small' }, fmtPos(a.location)), a.caller_phone ? h('div', { class: 'muted small mono' }, prettyPhone(a.caller_phone)) : null),
    h('td', { class: 'al-marks' }, overflowMark(a, me), suspicionMarks(a)),
    h('td', { class: 'al-actions' }, btn, ' ', h('a', { class: 'btn', href: '#/alarms/' + a.id, 'data-action': 'open' }, t('al.view'))));
}

function progressRow(ctx, a) {
  const me = ctx.shell.me();
  const mineNow = a.answered_by === me.username;
  return h('tr', { 'data-alarm': a.id, class: ['al-row', mineNow && 'mine'] },
    h('td', null, kindTag(a.kind)),
    h('td', { class: 'mono al-wait', 'data-wait': a.answered_at }, fmtDur(since(a.answered_at))),
    h('td', null, h('div', null, fmtTime(a.raised_at)), h('div', { class: 'muted mono small' }, a.id.slice(-8))),
    h('td', null, h('div', { class: 'mono small' }, fmtPos(a.location))),
    h('td', null, stateTag(a.state), ' ', h('span', { class: 'muted' }, a.answered_by || ''), ' ', suspicionMarks(a)),
    h('td', { class: 'al-actions' }, h('a', { class: ['btn', mineNow && 'primary'], href: '#/alarms/' + a.id, 'data-action': 'open' }, mineNow ? t('al.continue') : t('al.view'))));
}

function table(head, rows, emptyText, testid) {
  if (!rows.length) return h('div', { class: 'empty', 'data-testid': testid + '-empty' }, icon('queue', { size: 36 }), h('p', { class: 'empty-title' }, emptyText));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table al-table', 'data-testid': testid },
    h('thead', null, h('tr', null, head.map((x) => h('th', null, x)))), h('tbody', null, rows)));
}

function statusDot() {
  const { status, synced } = store.feedStatus();
  const ok = status === 'open' && synced;
  return h('span', { class: ['al-live', ok ? 'on' : 'off'], 'data-testid': 'feed-status', 'data-status': ok ? 'live' : status },
    h('i'), ok ? t('al.live') : t('al.reconnecting'));
}

export function renderQueue(ctx) {
  loadCSS();
  const waitingBox = h('div');
  const progressBox = h('div');
  const live = h('span');
  const counts = { q: h('span', { class: 'al-count', 'data-testid': 'queue-count' }), p: h('span', { class: 'al-count blue' }) };
  const draw = () => {
    const q = store.queued();
    const p = store.inProgress();
    counts.q.textContent = String(q.length);
    counts.p.textContent = String(p.length);
    counts.q.classList.toggle('zero', !q.length);
    counts.p.classList.toggle('zero', !p.length);
    mount(live, statusDot());
    mount(waitingBox, table([t('al.col.kind'), t('al.col.waiting'), t('al.col.raised'), t('al.col.position'), t('al.col.marks'), ''],
      q.map((a) => queueRow(ctx, a)), t('al.queueEmpty'), 'queue'));
    mount(progressBox, table([t('al.col.kind'), t('al.col.handling'), t('al.col.raised'), t('al.col.position'), t('al.col.state'), ''],
      p.map((a) => progressRow(ctx, a)), t('al.progressEmpty'), 'in-progress'));
  };
  draw();
  ctx.onLeave(store.subscribe(draw));
  // Waiting times tick without re-rendering the rows (buttons keep focus).
  const tick = setInterval(() => {
    const now = Date.now();
    for (const el of waitingBox.querySelectorAll('[data-wait]')) {
      const s = since(el.dataset.wait, now);
      el.textContent = fmtDur(s);
      el.classList.remove('w-ok', 'w-warn', 'w-late');
      el.classList.add(waitClass(s));
    }
    for (const el of progressBox.querySelectorAll('[data-wait]')) el.textContent = fmtDur(since(el.dataset.wait, now));
  }, 1000);
  ctx.onLeave(() => clearInterval(tick));
  const me = ctx.shell.me();
  return h('div', { class: 'al-queue-page' },
    h('section', { class: 'panel queue', 'data-testid': 'queue-panel' },
      h('header', { class: 'panel-hdr' }, h('h1', null, t('al.queueTitle'), ' ', counts.q), h('span', { class: 'muted' }, me.center?.name || ''), h('span', { class: 'al-spacer' }), live,
        h('span', { class: 'muted small' }, t('al.lines'))),
      waitingBox),
    h('section', { class: 'panel' },
      h('header', { class: 'panel-hdr' }, h('h1', null, t('al.progressTitle'), ' ', counts.p)),
      progressBox));
}

// The caller's alarm screen (/alarm/call/:id): which centre has it, where
// it stands (queued → answered → closed; cancelled; abandoned), the chat
// with the dispatcher both ways with delivered/read marks, the position
// shared while the alarm lasts (with an indicator), cancel before an
// answer, the media slot for video/silent/voice, and — whenever the server
// cannot be reached — a prominent 拨打110 / 短信12110.
// Live over /api/v1/alarms/{id}/feed: a snapshot, then events; after a
// reconnect it resumes from the cursor.

import { h, screen, emergencyBar, icon, errorText, mount } from '../../../shared/ui.js';
import { t, fmtTime } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { connect } from '../../../shared/ws.js';
import { watch } from './position.js';
import { mountMedia } from './media.js';
import { remember, OPEN } from './mine.js';
import { unreachable } from './raise.js';

const OVER = new Set(['closed', 'cancelled']);
const STATE_ICON = { queued: 'clock', answered: 'user', closed: 'check', cancelled: 'close', abandoned: 'phone' };

const since = (at) => Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 1000));
const mmss = (s) => String(Math.floor(s / 60)).padStart(2, '0') + ':' + String(s % 60).padStart(2, '0');

export async function renderCall(ctx) {
  const id = ctx.params.id;
  let alarm;
  try {
    alarm = await api.get('/api/v1/alarms/' + encodeURIComponent(id), { signal: ctx.signal });
  } catch (e) {
    if (e.status === 404) {
      return screen({ title: t('alc.title'), back: '/' }, h('p', { class: 'na-desc', 'data-testid': 'alarm-not-found' }, t('alc.notFound')), emergencyBar());
    }
    // Offline: say so loudly, offer the phone, and try again by itself.
    const retry = setTimeout(() => ctx.shell.refresh(), 5000);
    ctx.onLeave(() => clearTimeout(retry));
    return screen({ title: t('alc.title'), back: '/', class: 'alc' }, unreachable(errorText(e)),
      h('button', { type: 'button', class: 'btn block', onclick: () => ctx.shell.refresh() }, t('common.retry')));
  }
  remember(alarm);

  const st = { alarm, messages: new Map(), pending: [], cursor: null, acked: 0, posState: 'off', pos: null, sockOpen: false, offlineSince: Date.now(), apiOffline: false };
  const silent = alarm.kind === 'silent';
  const alarmSubs = new Set();
  const eventSubs = new Set();
  let stopWatch = null;
  let media = null;
  let sock = null;

  // ---- status -------------------------------------------------------------
  const statusBox = h('section', { class: 'alc-status', 'data-testid': 'alarm-status' });
  const centerLine = h('p', { class: 'alc-center', 'data-testid': 'alarm-center' });
  const posLine = h('p', { class: 'alc-pos', 'data-testid': 'position-indicator' }, h('i', { class: 'alc-pos-dot' }), h('span'));
  const offlineBox = h('div', { hidden: true });
  const cancelBox = h('div', { class: 'alc-cancel' });
  const drawStatus = () => {
    const a = st.alarm;
    statusBox.dataset.state = a.state;
    const sub = a.state === 'queued'
      ? h('span', { class: 'alc-waited mono', 'data-since': a.queued_at || a.raised_at }, t('alc.waited', { d: mmss(since(a.queued_at || a.raised_at)) }))
      : a.state === 'answered' && a.answered_at ? h('span', null, t('alc.answeredAt', { at: fmtTime(a.answered_at) }))
        : a.ended_at ? h('span', null, t('alc.endedAt', { at: fmtTime(a.ended_at) })) : null;
    mount(statusBox,
      h('span', { class: 'alc-status-icon' }, icon(STATE_ICON[a.state] || 'info', { size: 28 })),
      h('div', null,
        h('p', { class: 'alc-status-title', 'data-testid': 'alarm-state', 'data-state': a.state }, t('alc.headline.' + a.state)),
        h('p', { class: 'alc-status-sub' }, t('alc.sub.' + a.state), sub ? [' ', sub] : null)));
    mount(centerLine, icon('badge', { size: 18 }), h('span', null, t('alc.center')), h('b', { 'data-testid': 'center-name' }, a.center?.name || a.center?.code || '—'));
    mount(cancelBox, a.state === 'queued' ? cancelUI() : null);
    drawPos();
    drawComposer();
  };
  const tickStatus = () => {
    const el = statusBox.querySelector('[data-since]');
    if (el) el.textContent = t('alc.waited', { d: mmss(since(el.dataset.since)) });
    drawOffline();
  };
  const drawPos = () => {
    const over = OVER.has(st.alarm.state);
    const state = over ? 'stopped' : st.posState;
    posLine.dataset.state = state;
    posLine.lastChild.textContent = state === 'sharing' && st.pos ? t('alc.sharing', { acc: Math.round(st.pos.accuracy_m) })
      : t('alc.pos.' + state);
  };
  // The prominent offer to call when the server is out of reach: the feed
  // has been down for 4 s, or a request just failed for lack of network.
  const drawOffline = () => {
    const down = (!st.sockOpen && Date.now() - st.offlineSince > 4000) || st.apiOffline;
    const over = OVER.has(st.alarm.state);
    if (down && !over) {
      if (offlineBox.hidden) mount(offlineBox, unreachable(t('alc.unreachableCall')));
      offlineBox.hidden = false;
    } else {
      offlineBox.hidden = true;
    }
  };

  let confirming = false;
  function cancelUI() {
    if (!confirming) {
      return h('button', { type: 'button', class: 'btn block', 'data-action': 'cancel', onclick: () => { confirming = true; drawStatus(); } }, t('alc.cancel'));
    }
    return h('div', { class: 'alc-confirm', role: 'alertdialog', 'aria-label': t('alc.cancelQ') },
      h('p', null, t('alc.cancelQ')),
      h('div', { class: 'alc-confirm-row' },
        h('button', { type: 'button', class: 'btn danger', 'data-action': 'confirm-cancel', onclick: doCancel }, t('alc.cancelYes')),
        h('button', { type: 'button', class: 'btn', 'data-action': 'keep', onclick: () => { confirming = false; drawStatus(); } }, t('alc.cancelNo'))));
  }
  async function doCancel(ev) {
    ev.currentTarget.disabled = true;
    try {
      const a = await api.post(`/api/v1/alarms/${id}/cancel`, { reason: 'caller' });
      confirming = false;
      setAlarm(a);
    } catch (e) {
      confirming = false;
      if (e.offline) st.apiOffline = true;
      ctx.shell.toast(errorText(e), 'error');
      drawStatus();
      drawOffline();
    }
  }

  // ---- chat ---------------------------------------------------------------
  const log = h('ol', { class: 'alc-chat', 'data-testid': 'chat-log', 'aria-live': 'polite' });
  const input = h('textarea', { class: 'input', rows: 2, maxlength: '2000', name: 'message', 'data-testid': 'chat-input', placeholder: t('alc.typeHint') });
  const sendBtn = h('button', { type: 'submit', class: 'btn primary', 'data-action': 'send' }, t('alc.send'));
  const composer = h('form', { class: 'alc-compose', noValidate: true, onsubmit: (ev) => { ev.preventDefault(); send(input.value); } }, input, sendBtn);
  const mark = (m) => {
    if (m.read_at) return h('span', { class: 'alc-rcpt read', 'data-receipt': 'read' }, t('alc.read'));
    if (m.delivered_at) return h('span', { class: 'alc-rcpt', 'data-receipt': 'delivered' }, '✓✓ ', t('alc.delivered'));
    return h('span', { class: 'alc-rcpt', 'data-receipt': 'sent' }, '✓ ', t('alc.sent'));
  };
  const drawChat = () => {
    const ms = [...st.messages.values()].sort((a, b) => a.seq - b.seq);
    const items = ms.map((m) => h('li', { class: ['alc-msg', 'from-' + m.from], 'data-seq': m.seq, 'data-from': m.from },
      h('div', { class: 'alc-bubble' }, m.text),
      h('div', { class: 'alc-meta' }, m.from === 'caller' ? null : h('span', null, m.from === 'system' ? t('alc.system') : t('alc.dispatcher'), ' · '),
        fmtTime(m.at), m.from === 'caller' ? [' ', mark(m)] : null)));
    for (const p of st.pending) {
      items.push(h('li', { class: ['alc-msg', 'from-caller', 'pending'], 'data-pending': p.key },
        h('div', { class: 'alc-bubble' }, p.text),
        h('div', { class: 'alc-meta' }, p.failed
          ? h('button', { type: 'button', class: 'alc-retry', 'data-action': 'resend', onclick: () => resend(p) }, t('alc.sendFailed'))
          : h('span', { class: 'alc-rcpt' }, t('alc.sending')))));
    }
    mount(log, items.length ? items : h('li', { class: 'alc-empty muted' }, t('alc.chatEmpty.' + (st.alarm.state === 'answered' ? 'answered' : 'queued'))));
    log.lastElementChild?.scrollIntoView?.({ block: 'nearest' });
    ackRead();
  };
  const drawComposer = () => {
    const over = OVER.has(st.alarm.state);
    composer.hidden = over;
    input.disabled = over;
    sendBtn.disabled = over;
  };
  async function post(p) {
    try {
      const m = await api.post(`/api/v1/alarms/${id}/messages`, { text: p.text, client_id: p.key });
      st.pending = st.pending.filter((x) => x !== p);
      st.messages.set(m.seq, { ...st.messages.get(m.seq), ...m });
      st.apiOffline = false;
    } catch (e) {
      p.failed = true;
      if (e.offline) st.apiOffline = true;
      else ctx.shell.toast(errorText(e), 'error');
    }
    drawChat();
    drawOffline();
  }
  function send(text) {
    text = text.trim();
    if (!text) return;
    input.value = '';
    const p = { key: Math.random().toString(36).slice(2), text, failed: false };
    st.pending.push(p);
    drawChat();
    post(p);
  }
  function resend(p) {
    p.failed = false;
    drawChat();
    post(p);
  }
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send(input.value);
    }
  });
  // Read receipts for what the dispatcher wrote, once it is on screen.
  function ackRead() {
    if (document.hidden || !sock) return;
    let upto = 0;
    for (const m of st.messages.values()) if (m.from !== 'caller' && m.seq > upto) upto = m.seq;
    if (upto <= st.acked) return;
    if (sock.send({ type: 'ack', delivered_upto: upto, read_upto: upto })) st.acked = upto;
  }
  const onVisible = () => ackRead();
  document.addEventListener('visibilitychange', onVisible);
  ctx.onLeave(() => document.removeEventListener('visibilitychange', onVisible));

  // ---- position -------------------------------------------------------------
  const startWatch = () => {
    if (stopWatch || OVER.has(st.alarm.state)) return;
    st.posState = 'locating';
    stopWatch = watch({
      last: st.alarm.location || null,
      onState: (s) => { st.posState = s; drawPos(); },
      onFix: (p) => { st.pos = p; drawPos(); },
      onSend: (p) => api.post(`/api/v1/alarms/${id}/positions`, p, { timeoutMs: 10000 }).then(() => { st.apiOffline = false; }, (e) => {
        if (e.offline) st.apiOffline = true;
        throw e;
      }),
    });
  };
  const stopAll = () => {
    stopWatch?.();
    stopWatch = null;
    media?.destroy();
    media = null;
  };
  ctx.onLeave(stopAll);

  // ---- media slot -------------------------------------------------------------
  const mediaSlot = h('div', { class: 'alc-media', 'data-slot': 'media', 'data-kind': alarm.kind, hidden: true });
  const mediaNote = h('p', { class: 'alc-media-note muted', hidden: true });
  const startMedia = () => {
    if (media || OVER.has(st.alarm.state)) return;
    media = mountMedia(mediaSlot, {
      alarm: st.alarm, kind: st.alarm.kind, silent, shell: ctx.shell, signal: ctx.signal,
      onAlarm: (fn) => { alarmSubs.add(fn); return () => alarmSubs.delete(fn); },
      onEvent: (fn) => { eventSubs.add(fn); return () => eventSubs.delete(fn); },
      setNote: (text) => { mediaNote.textContent = text || ''; mediaNote.hidden = !text; },
    });
    if (!media.count && st.alarm.kind !== 'text') {
      // No camera module yet: the alarm still works by text.
      mediaNote.textContent = t('alc.noMedia');
      mediaNote.hidden = false;
    }
  };

  // ---- state --------------------------------------------------------------
  function setAlarm(a) {
    if (!a || a.id !== id) return;
    if (st.alarm.cursor && a.cursor && a.cursor < st.alarm.cursor) return;
    st.alarm = a;
    remember(a);
    if (OVER.has(a.state)) {
      stopAll();
      // Nothing more will happen: let the socket go.
      setTimeout(() => sock?.close(), 1500);
    }
    drawStatus();
    drawChat();
    media?.update(a);
    for (const fn of alarmSubs) {
      try {
        fn(a);
      } catch (e) {
        console.error(e);
      }
    }
  }
  const onEvent = (e) => {
    const d = e.data || {};
    if ((e.type === 'message' || e.type === 'message_status') && d.message) {
      st.messages.set(d.message.seq, { ...st.messages.get(d.message.seq), ...d.message });
    } else if (e.type === 'receipt' && d.by === 'dispatcher') {
      for (const m of st.messages.values()) {
        if (m.from !== 'caller') continue;
        if (m.seq <= d.delivered_upto && !m.delivered_at) m.delivered_at = e.at;
        if (m.seq <= d.read_upto && !m.read_at) m.read_at = e.at;
      }
    }
    if (e.alarm) {
      e.alarm.cursor = e.seq;
      setAlarm(e.alarm);
    } else {
      drawChat();
    }
    for (const fn of eventSubs) {
      try {
        fn(e);
      } catch (err) {
        console.error(err);
      }
    }
  };

  const tick = setInterval(tickStatus, 1000);
  ctx.onLeave(() => clearInterval(tick));
  if (!OVER.has(alarm.state)) {
    sock = connect(`/api/v1/alarms/${encodeURIComponent(id)}/feed`, {
      query: () => (st.cursor === null ? {} : { cursor: st.cursor }),
      onMessage: (msg) => {
        if (msg.type === 'snapshot') {
          st.cursor = msg.cursor;
          for (const m of msg.messages || []) st.messages.set(m.seq, m);
          setAlarm(msg.alarm);
        } else if (msg.type === 'event') {
          st.cursor = msg.event.seq;
          onEvent(msg.event);
        }
      },
      onStatus: (s) => {
        const open = s === 'open';
        if (open !== st.sockOpen) st.offlineSince = Date.now();
        st.sockOpen = open;
        if (open) st.apiOffline = false;
        drawOffline();
      },
      onRejected: () => { st.sockOpen = false; drawOffline(); },
    });
    ctx.onLeave(() => sock?.close());
    startWatch();
    startMedia();
  } else {
    // Over: show the conversation as it was.
    api.get(`/api/v1/alarms/${id}/messages`, { signal: ctx.signal }).then((r) => {
      for (const m of r.messages || []) st.messages.set(m.seq, m);
      drawChat();
    }).catch(() => {});
  }
  drawStatus();
  drawChat();
  drawOffline();

  return screen({ title: t('alc.kind.' + alarm.kind), back: '/', class: ['alc', 'alc-call', silent && 'alc-silent'] },
    offlineBox,
    statusBox,
    centerLine,
    posLine,
    mediaSlot,
    mediaNote,
    h('section', { class: 'alc-chat-box', 'data-testid': 'chat' }, log, composer),
    cancelBox,
    h('div', { class: 'alc-foot' }, h('p', { class: 'muted small' }, t('alc.callHint')), emergencyBar({ compact: true })));
}

export { OPEN };

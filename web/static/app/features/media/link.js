// The no-app video link page (#/v/<token>; the SMS link /v/<token>
// redirects here). A dispatcher sent it to the caller of a text, SMS or
// voice alarm. No sign-in: the page checks the link, asks for consent,
// then spends the link (POST /api/v1/media/links/{token}/claim) for a
// media session and streams one-way video and audio into the same alarm.
// Nothing is received or played: the caller keeps talking on the phone.
//
// The link works once: the media session is kept in sessionStorage so a
// reload of this tab reconnects instead of failing.

import { h, mount, screen, emergencyBar, icon, errorText, langSwitch } from '../../../shared/ui.js';
import { t, fmtTime, lang, setLang } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { acquire, release, end, MediaSession } from './sessions.js';
import { loadCSS } from './call.js';

const STORE = 'open110.videoLink';

function saved(token) {
  try {
    const v = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    if (v && v.token === token && Date.parse(v.expires_at) > Date.now()) return v;
  } catch { /* storage blocked */ }
  return null;
}

function save(v) {
  try {
    sessionStorage.setItem(STORE, JSON.stringify(v));
  } catch { /* the session lasts this page only */ }
}

export async function renderLink(ctx) {
  loadCSS();
  const token = ctx.params.token || '';
  const box = h('div', { class: 'vl', 'data-testid': 'video-link' });
  const page = screen({ title: t('vl.title'), class: 'vl-screen', actions: langSwitch(lang, setLang) }, box);
  const claimed = saved(token);
  if (claimed) {
    live(ctx, box, claimed);
    return page;
  }
  let status;
  try {
    status = await api.get('/api/v1/media/links/' + encodeURIComponent(token), { signal: ctx.signal });
  } catch (e) {
    if (ctx.signal.aborted) return page;
    mount(box, invalid(e));
    return page;
  }
  consent(ctx, box, token, status);
  return page;
}

function invalid(e) {
  const gone = e.code === 'link_invalid' || e.status === 404;
  return h('div', { class: 'vl-card', 'data-testid': 'video-link-invalid' },
    icon('info', { size: 40 }),
    h('p', { class: 'vl-big' }, gone ? t('vl.invalid') : errorText(e)),
    h('p', { class: 'muted' }, t('vl.invalidHint')),
    emergencyBar());
}

function consent(ctx, box, token, status) {
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const agree = h('button', { type: 'button', class: 'btn primary block vl-agree', 'data-action': 'consent', onclick: async () => {
    agree.disabled = true;
    msg.textContent = '';
    try {
      const c = await api.post('/api/v1/media/links/' + encodeURIComponent(token) + '/claim', { consent: true });
      const v = { token, alarm_id: c.alarm_id, media_session: c.media_session, expires_at: c.expires_at };
      save(v);
      live(ctx, box, v);
    } catch (e) {
      agree.disabled = false;
      if (e.code === 'link_invalid') mount(box, invalid(e));
      else msg.textContent = errorText(e);
    }
  } }, icon('video', { size: 22 }), t('vl.agree'));
  mount(box,
    h('div', { class: 'vl-card' },
      h('div', { class: 'vl-badge' }, icon('badge', { size: 34 }), h('b', null, '110')),
      h('p', { class: 'vl-big' }, t('vl.invited')),
      h('ul', { class: 'vl-points' },
        h('li', null, t('vl.p.camera')),
        h('li', null, t('vl.p.oneWay')),
        h('li', null, t('vl.p.recorded')),
        h('li', null, t('vl.p.stop'))),
      h('p', { class: 'muted vl-small' }, t('vl.expires', { at: fmtTime(status.expires_at) })),
      msg,
      agree,
      h('button', { type: 'button', class: 'btn block', 'data-action': 'decline', onclick: () => mount(box, declined()) }, t('vl.decline'))),
    emergencyBar({ compact: true }));
}

function declined() {
  return h('div', { class: 'vl-card', 'data-testid': 'video-link-declined' },
    h('p', { class: 'vl-big' }, t('vl.declined')), h('p', { class: 'muted' }, t('vl.declinedHint')), emergencyBar());
}

function live(ctx, box, v) {
  const key = 'link:' + v.alarm_id;
  const session = acquire(key, () => new MediaSession({ alarmId: v.alarm_id, mediaSession: v.media_session, facing: 'environment' }).start());
  const self = h('video', { class: 'vl-self', autoplay: true, playsInline: true, muted: true, 'data-testid': 'media-self' });
  self.muted = true;
  const status = h('p', { class: 'vl-status', role: 'status', 'data-testid': 'media-status' });
  const tools = h('div', { class: 'mc-tools' });
  const fallback = h('div', { class: 'mc-fallback', hidden: true, role: 'alert', 'data-testid': 'media-fallback' });
  let stopped = false;
  const draw = () => {
    const s = session;
    const st = s.state;
    status.dataset.state = st;
    if (stopped || st === 'closed') {
      status.textContent = t(s.closedReason === 'alarm_closed' ? 'vl.ended' : 'vl.stopped');
      self.srcObject = null;
      mount(tools);
      return;
    }
    status.textContent = st === 'connected' ? t('vl.streaming') : st === 'reconnecting' ? t('mc.reconnecting') : s.fallback ? t('vl.fallback') : t('mc.connecting');
    if (s.mediaError) status.textContent = t('mc.deviceError.' + s.mediaError);
    const stream = s.local && s.local.getVideoTracks().length ? s.local : null;
    if (self.srcObject !== stream) {
      self.srcObject = stream;
      if (stream) self.play().catch(() => {});
    }
    self.classList.toggle('mirror', s.facing === 'user');
    mount(tools,
      h('button', { type: 'button', class: 'mc-btn', 'data-action': 'switch-camera', onclick: async (ev) => { ev.currentTarget.disabled = true; await s.switchCamera(); draw(); } },
        icon('video', { size: 22 }), h('span', null, t('mc.switchCamera'))),
      h('button', { type: 'button', class: 'mc-btn hangup', 'data-action': 'stop-video', onclick: () => { stopped = true; end(key); draw(); } },
        icon('close', { size: 22 }), h('span', null, t('vl.stop'))));
    fallback.hidden = !(s.fallback && st !== 'connected');
    if (!fallback.hidden) mount(fallback, h('p', null, t('vl.fallback')), emergencyBar({ compact: true }));
  };
  const off = session.listen({ onChange: draw });
  ctx.onLeave(() => {
    off();
    if (!stopped) release(key);
  });
  mount(box, h('div', { class: 'vl-live', 'data-testid': 'video-link-live' },
    h('div', { class: 'vl-stage' }, self, h('span', { class: 'vl-rec' }, h('span', { class: 'vl-dot' }), t('vl.recording'))),
    status, tools, fallback,
    h('p', { class: 'muted vl-small' }, t('vl.keepTalking'))));
  draw();
}

// The live media panel of the console's alarm view: the caller's video
// (or voice), the dispatcher's camera and microphone published back in a
// video alarm, mute, snapshot to evidence and "send video link" for text,
// SMS and voice alarms.
//
// Who connects as what is the server's decision (media/signal.go hello):
// the answering dispatcher is "dispatcher"; before an answer the centre's
// dispatchers (and supervisors at any time) are "observers" who watch
// without publishing. The panel reconnects when the viewer's role changes
// (e.g. they answer) and hangs up when the alarm ends.

import { h, mount, icon, errorText } from '../../../shared/ui.js';
import { t, fmtTime } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { acquire, release, end, peek, MediaSession } from '../../../app/features/media/sessions.js';

const MEDIA_KINDS = new Set(['video', 'silent', 'voice']);
const LINK_KINDS = new Set(['text', 'sms', 'voice']);
const LIVE_STATES = new Set(['queued', 'answered', 'abandoned']);

/** Which role the viewer would get in the alarm's media room, or '' for none. */
function wantedRole(ctx, a) {
  if (!LIVE_STATES.has(a.state)) return '';
  if (ctx.isAnswerer()) return 'dispatcher';
  const role = ctx.me?.role;
  if (role === 'supervisor' || role === 'admin') return 'observer';
  if (role === 'dispatcher' && a.state === 'queued') return 'observer';
  return '';
}

function fmtSince(ms) {
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function renderLive(ctx, alarm) {
  let a = alarm;
  const id = ctx.alarmId;
  const key = 'console:' + id;
  let session = null;
  let off = null;
  let linkInfo = null; // {sent_to, expires_at} once sent from this view
  let linkWait = null; // poll timer while waiting for the caller to open the link
  let upgraded = false; // reconnected once the link caller joined a voice alarm
  let tick = null;

  const status = h('span', { class: 'mv-status', 'data-testid': 'media-status' });
  const remoteVideo = h('video', { class: 'mv-remote', autoplay: true, playsInline: true, 'data-testid': 'media-remote' });
  const remoteAudio = h('audio', { autoplay: true, 'data-testid': 'media-remote-audio' });
  const selfVideo = h('video', { class: 'mv-self', autoplay: true, playsInline: true, muted: true, 'data-testid': 'media-self' });
  const overlay = h('div', { class: 'mv-overlay', 'data-testid': 'media-overlay' });
  const stage = h('div', { class: 'mv-stage' }, remoteVideo, selfVideo, overlay);
  const voiceBox = h('div', { class: 'mv-voice', 'data-testid': 'media-voice' });
  const note = h('p', { class: 'mv-note', 'data-testid': 'media-note' });
  const tools = h('div', { class: 'mv-tools' });
  const linkBox = h('div', { class: 'mv-link', 'data-testid': 'media-link' });
  const body = h('div', { class: 'panel-body mv-body' }, stage, voiceBox, note, tools, linkBox, remoteAudio);
  const el = h('section', { class: 'panel mv-panel', 'data-testid': 'media-panel', 'data-kind': a.kind },
    h('header', { class: 'panel-hdr' }, h('h2', null, icon(a.kind === 'voice' ? 'voice' : 'video', { size: 18 }), ' ', t('mv.title')), status),
    body);

  const hasVideo = () => !!session?.hello?.receive?.some((r) => r.kinds?.includes('video'));

  function attach(elm, stream) {
    if (elm.srcObject !== stream) {
      elm.srcObject = stream || null;
      if (stream) elm.play?.().catch(() => { /* autoplay refused: the play button below */ });
    }
  }

  function draw() {
    const s = session;
    const st = s ? s.state : 'idle';
    const role = s?.hello?.role || '';
    status.textContent = s ? t('mv.state.' + (s.fallback && st !== 'connected' ? 'failed' : st)) : '';
    status.className = 'mv-status st-' + st;
    status.dataset.state = st;
    el.dataset.role = role;
    const remote = s?.remote?.caller || null;
    const video = hasVideo() || (!s && MEDIA_KINDS.has(a.kind) && a.kind !== 'voice');
    const over = !LIVE_STATES.has(a.state);
    stage.hidden = !video || (over && !s); // after the alarm: a line, not an empty black stage
    voiceBox.hidden = video || !s;
    attach(remoteVideo, video ? remote : null);
    // Audio of a video/silent caller plays through the <video>; a voice
    // caller's through the <audio>.
    attach(remoteAudio, !video ? remote : null);
    const local = s?.local && s.sends('video') ? s.local : null;
    attach(selfVideo, local);
    selfVideo.hidden = !local;
    const gotVideo = remote?.getVideoTracks().length > 0;
    overlay.hidden = gotVideo && st === 'connected';
    overlay.textContent = !s ? t('mv.notConnected') : st === 'connected' ? t('mv.waitingVideo') : t('mv.state.' + st);
    if (!voiceBox.hidden) {
      mount(voiceBox, icon('voice', { size: 36 }), h('div', null,
        h('b', null, t(remote ? 'mv.voiceOn' : 'mv.voiceWaiting')),
        s?.connectedAt ? h('div', { class: 'muted mono', 'data-voice-since': String(s.connectedAt) }, fmtSince(s.connectedAt)) : null));
    }
    // Notes per kind and role.
    const notes = [];
    if (over) notes.push(t('mv.ended'));
    else if (a.kind === 'silent') notes.push(t('mv.silentNote'));
    if (role === 'observer') notes.push(t('mv.observerNote'));
    if (s?.mediaError) notes.push(t('mv.deviceError.' + s.mediaError));
    if (s?.peers?.caller === 'left') notes.push(t('mv.callerLeft'));
    note.textContent = notes.join(' ');
    note.hidden = notes.length === 0;

    const btns = [];
    if (s && role === 'dispatcher' && s.sends('audio')) {
      btns.push(h('button', { type: 'button', class: ['btn', s.muted.audio && 'on'], 'data-action': 'mute', 'aria-pressed': String(s.muted.audio),
        onclick: () => s.setMuted('audio', !s.muted.audio) }, icon('voice', { size: 16 }), t(s.muted.audio ? 'mv.unmute' : 'mv.mute')));
    }
    if (s && role === 'dispatcher' && s.sends('video')) {
      btns.push(h('button', { type: 'button', class: ['btn', s.muted.video && 'on'], 'data-action': 'camera', 'aria-pressed': String(s.muted.video),
        onclick: () => s.setMuted('video', !s.muted.video) }, icon('video', { size: 16 }), t(s.muted.video ? 'mv.cameraOn' : 'mv.cameraOff')));
    }
    if (s && video) {
      btns.push(h('button', { type: 'button', class: 'btn', 'data-action': 'snapshot', disabled: !gotVideo, onclick: snapshot }, icon('badge', { size: 16 }), t('mv.snapshot')));
    }
    if (s && remoteVideo.paused && remote && video) {
      btns.push(h('button', { type: 'button', class: 'btn', 'data-action': 'play', onclick: () => remoteVideo.play().catch(() => {}) }, t('mv.play')));
    }
    if (!s && LIVE_STATES.has(a.state) && wantedRole(ctx, a) && (MEDIA_KINDS.has(a.kind) || linkInfo)) {
      btns.push(h('button', { type: 'button', class: 'btn', 'data-action': 'media-connect', onclick: () => connectNow() }, t('mv.connect')));
    }
    mount(tools, btns);
    tools.hidden = btns.length === 0;
    drawLink();
    // A text alarm nobody can upgrade from here: no empty panel.
    el.hidden = stage.hidden && voiceBox.hidden && note.hidden && tools.hidden && linkBox.hidden;
  }

  function drawLink() {
    const canSend = LINK_KINDS.has(a.kind) && ctx.isAnswerer();
    if (!canSend && !linkInfo) {
      linkBox.hidden = true;
      return;
    }
    linkBox.hidden = false;
    const info = linkInfo
      ? h('p', { class: 'mv-link-info', 'data-testid': 'media-link-sent' }, icon('check', { size: 16 }),
        t('mv.linkSent', { to: linkInfo.sent_to, at: fmtTime(linkInfo.expires_at) }))
      : h('p', { class: 'muted' }, t('mv.linkHint'));
    const streaming = !!session?.remote?.caller?.getVideoTracks().length;
    mount(linkBox, info, canSend ? h('button', { type: 'button', class: ['btn', !streaming && 'primary'], 'data-action': 'send-video-link', onclick: sendLink },
      icon('sms', { size: 16 }), t(linkInfo ? 'mv.linkAgain' : 'mv.sendLink')) : null);
  }

  async function sendLink(ev) {
    const btn = ev.currentTarget;
    btn.disabled = true;
    try {
      linkInfo = await api.post(`/api/v1/alarms/${id}/video-link`, {});
      ctx.shell.toast(t('mv.linkSentToast', { to: linkInfo.sent_to }), 'ok');
      upgraded = false;
      waitForLink();
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    } finally {
      btn.disabled = false;
      draw();
    }
  }

  // A text or SMS alarm has no media room until the caller opens the link;
  // "recording": true in the recordings list says the room is live.
  function waitForLink() {
    clearInterval(linkWait);
    if (MEDIA_KINDS.has(a.kind)) return; // voice: already connected; upgraded on the caller's join
    const check = async () => {
      if (session || !LIVE_STATES.has(a.state)) return;
      try {
        const r = await api.get(`/api/v1/alarms/${id}/recordings`, { signal: ctx.signal });
        if (r.recording && !session) connectNow();
      } catch { /* next round */ }
    };
    check();
    linkWait = setInterval(check, 2000);
  }

  async function snapshot(ev) {
    const btn = ev.currentTarget;
    const v = remoteVideo;
    if (!v.videoWidth) return;
    btn.disabled = true;
    try {
      const c = document.createElement('canvas');
      c.width = v.videoWidth;
      c.height = v.videoHeight;
      c.getContext('2d').drawImage(v, 0, 0);
      const blob = await new Promise((res) => c.toBlob(res, 'image/jpeg', 0.92));
      const snap = await api.upload(`/api/v1/alarms/${id}/snapshots`, blob, { contentType: 'image/jpeg' });
      ctx.shell.toast(t('mv.snapshotSaved', { sha: snap.sha256.slice(0, 12) }), 'ok');
      el.dispatchEvent(new CustomEvent('media-evidence', { bubbles: true }));
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    } finally {
      btn.disabled = false;
    }
  }

  function onChange(s) {
    if (s !== session) return;
    if (s.state === 'connected' && !s.connectedAt) s.connectedAt = Date.now();
    // A voice alarm upgraded by link: the link caller streams video now, but
    // our peer connection was negotiated for audio only. Reconnect once to
    // get the new hello.
    if (linkInfo && !upgraded && a.kind === 'voice' && s.peers.caller === 'joined' && s.hello && !hasVideo()) {
      upgraded = true;
      setTimeout(() => reconnect(), 300);
    }
    draw();
  }

  function connectNow() {
    if (session) return;
    session = acquire(key, () => new MediaSession({ alarmId: id }).start());
    off = session.listen({
      onChange,
      onClosed: () => {
        disconnect();
        draw();
      },
    });
    clearInterval(linkWait);
    draw();
  }

  function disconnect(hangup = false) {
    off?.();
    off = null;
    if (session) {
      if (hangup) end(key);
      else release(key);
    }
    session = null;
  }

  function reconnect() {
    disconnect(true);
    connectNow();
  }

  // Decide whether we should be connected, and with which role.
  function sync() {
    const want = wantedRole(ctx, a);
    const canMedia = MEDIA_KINDS.has(a.kind) || (linkInfo && LIVE_STATES.has(a.state)) || peek(key);
    if (!want || !canMedia) {
      if (session) disconnect(true);
      draw();
      return;
    }
    if (!session) {
      if (MEDIA_KINDS.has(a.kind)) connectNow();
      draw();
      return;
    }
    const have = session.hello?.role;
    if (have && have !== want) reconnect();
    else draw();
  }

  // A text/SMS alarm whose caller opened a link earlier (another view, a
  // reload): the room is live, so join it.
  if (!MEDIA_KINDS.has(a.kind) && LIVE_STATES.has(a.state) && wantedRole(ctx, a)) {
    api.get(`/api/v1/alarms/${id}/recordings`, { signal: ctx.signal }).then((r) => {
      if (r.recording && !session) connectNow();
    }).catch(() => {});
  }
  const offEvent = ctx.onEvent((e) => {
    // The media service posts a note into the chat when the link is opened.
    if (e.type === 'message' && e.data?.message?.from === 'system' && linkInfo && !session) waitForLink();
  });
  tick = setInterval(() => {
    const sinceEl = voiceBox.querySelector('[data-voice-since]');
    if (sinceEl) sinceEl.textContent = fmtSince(Number(sinceEl.dataset.voiceSince));
  }, 1000);

  sync();
  return {
    el,
    update(next) {
      a = next;
      el.dataset.kind = a.kind;
      sync();
    },
    destroy() {
      clearInterval(linkWait);
      clearInterval(tick);
      offEvent();
      // Released, not ended: a re-render (language switch) picks the same
      // call up again; leaving the view hangs up after a short grace.
      disconnect(false);
    },
  };
}

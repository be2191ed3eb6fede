// The media part of the citizen's alarm screen (video, silent, voice):
//
//   video:  the dispatcher's video (with sound) large, our camera small,
//           switch camera, mute, hang up the video (the alarm goes on as text);
//   silent: our camera as a tiny dim preview, NOTHING that can sound — no
//           <audio> element, remote audio never attached (the server sends
//           none anyway), the preview <video> muted, no ringtone, no
//           vibration — and the screen dims; the dispatcher talks by text;
//   voice:  audio both ways (a hidden <audio> for the dispatcher), mute,
//           hang up; positions are the alarm screen's business.
//
// When media cannot connect within ~8 s (the server's media_timeout or ICE
// failure) the alarm goes on as text and we offer 110 / 122 / 12110; the
// session keeps trying and the video comes back if it connects later. A
// network change restarts ICE in the same alarm (rtc.js).
//
//   const m = mountCallMedia({ alarmId, kind, shell, onFallback, onHangup });
//   container.append(m.el);  ...  m.destroy();   // leaving the screen

import { h, mount, icon, emergencyBar } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { acquire, release, end, MediaSession } from './sessions.js';

let cssLoaded = false;
export function loadCSS() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: new URL('./media.css', import.meta.url).href }));
}

export const MEDIA_KINDS = new Set(['video', 'silent', 'voice']);

export function mountCallMedia({ alarmId, kind, shell, onFallback, onHangup, onState }) {
  loadCSS();
  const silent = kind === 'silent';
  const key = 'caller:' + alarmId;
  const session = acquire(key, () => new MediaSession({ alarmId, silent, facing: kind === 'video' ? 'user' : 'environment' }).start());
  let hungUp = false;

  const status = h('div', { class: 'mc-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'media-status' });
  // The remote <video> exists only in a video alarm; it carries the
  // dispatcher's sound. Everything else is muted by construction.
  const remote = kind === 'video' ? h('video', { class: 'mc-remote', autoplay: true, playsInline: true, 'data-testid': 'media-remote' }) : null;
  const self = kind !== 'voice' ? h('video', { class: 'mc-self', autoplay: true, playsInline: true, muted: true, 'data-testid': 'media-self' }) : null;
  if (self) self.muted = true; // the property, not only the attribute: never our own sound
  const remoteAudio = kind === 'voice' ? h('audio', { autoplay: true, 'data-testid': 'media-remote-audio' }) : null;
  const waiting = h('div', { class: 'mc-waiting' });
  const stage = kind === 'voice' ? h('div', { class: 'mc-voice' }) : h('div', { class: ['mc-stage', 'k-' + kind] }, remote, self, waiting);
  const tools = h('div', { class: 'mc-tools' });
  const fallbackBox = h('div', { class: 'mc-fallback', hidden: true, role: 'alert', 'data-testid': 'media-fallback' });
  const el = h('section', { class: ['mc', 'k-' + kind], 'data-testid': 'media-call', 'data-kind': kind }, status, stage, remoteAudio, tools, fallbackBox);
  if (silent) document.body.classList.add('mc-dim');

  const attach = (elm, stream) => {
    if (!elm || elm.srcObject === stream) return;
    elm.srcObject = stream || null;
    if (stream) elm.play?.().catch(() => {});
  };

  let tick = null;
  function draw() {
    const s = session;
    const st = s.state;
    const answered = s.answered || s.peers.dispatcher === 'joined';
    let text;
    if (hungUp || st === 'closed') text = t(s.closedReason === 'replaced' ? 'mc.replaced' : s.closedReason === 'alarm_closed' ? 'mc.alarmClosed' : 'mc.hungUp');
    else if (s.fallback && st !== 'connected') text = t('mc.fallback');
    else if (st === 'connected') text = silent ? t('mc.silentOn') : answered ? t('mc.talking') : t('mc.connectedWaiting');
    else if (st === 'reconnecting') text = t('mc.reconnecting');
    else text = t('mc.connecting');
    status.textContent = text;
    status.dataset.state = st;
    el.dataset.state = st;

    attach(self, s.local && s.local.getVideoTracks().length ? s.local : null);
    if (self) self.classList.toggle('mirror', s.facing === 'user');
    // Silent: never attach anything remote. (rtc.js drops remote audio too.)
    if (!silent) {
      attach(remote, s.remote.dispatcher || null);
      attach(remoteAudio, s.remote.dispatcher || null);
    }
    if (kind === 'video') {
      const hasRemote = !!s.remote.dispatcher?.getVideoTracks().length;
      waiting.hidden = hasRemote;
      waiting.textContent = answered ? t('mc.dispatcherVideoSoon') : t('mc.waitingDispatcher');
    } else if (kind === 'silent') {
      waiting.hidden = true;
    } else {
      const over = hungUp || st === 'closed';
      mount(stage, h('div', { class: 'mc-voice-icon' }, icon('voice', { size: 44 })),
        h('div', { class: 'mc-voice-text' }, h('b', null, t(over ? 'mc.voiceEnded' : answered ? 'mc.voiceTalking' : 'mc.voiceWaiting')),
          over ? null : h('span', { class: 'mc-timer', 'data-testid': 'media-timer' }, timerText())));
    }
    if (s.mediaError) status.textContent += ' · ' + t('mc.deviceError.' + s.mediaError);

    // Fallen back to text: the chat matters now, not an empty stage. (It
    // comes back if media connects later.)
    const down = s.fallback && st !== 'connected' && !hungUp;
    stage.hidden = down;
    const btns = [];
    if (st !== 'closed' && !hungUp && !down) {
      if (s.sends('video') && s.local?.getVideoTracks().length) {
        btns.push(h('button', { type: 'button', class: 'mc-btn', 'data-action': 'switch-camera', 'aria-label': t('mc.switchCamera'),
          onclick: async (ev) => {
            ev.currentTarget.disabled = true;
            await s.switchCamera();
            draw();
          } }, icon('video', { size: 22 }), h('span', null, t('mc.switchCamera'))));
      }
      if (s.sends('audio') && !silent) {
        btns.push(h('button', { type: 'button', class: ['mc-btn', s.muted.audio && 'on'], 'data-action': 'mute', 'aria-pressed': String(s.muted.audio),
          onclick: () => s.setMuted('audio', !s.muted.audio) }, icon('voice', { size: 22 }), h('span', null, t(s.muted.audio ? 'mc.unmute' : 'mc.mute'))));
      }
      btns.push(h('button', { type: 'button', class: 'mc-btn hangup', 'data-action': 'hangup-media', 'aria-label': t('mc.hangup'),
        onclick: () => {
          hungUp = true;
          end(key);
          document.body.classList.remove('mc-dim');
          draw();
          onHangup?.();
        } }, icon('phone', { size: 22 }), h('span', null, t(kind === 'voice' ? 'mc.hangupVoice' : 'mc.hangup'))));
    }
    if (down) {
      btns.push(h('button', { type: 'button', class: 'mc-btn', 'data-action': 'hangup-media',
        onclick: () => {
          hungUp = true;
          end(key);
          document.body.classList.remove('mc-dim');
          draw();
          onHangup?.();
        } }, icon('close', { size: 22 }), h('span', null, t('mc.stopTrying'))));
    }
    mount(tools, btns);
    if (down) {
      fallbackBox.hidden = false;
      mount(fallbackBox, h('p', null, icon('info', { size: 18 }), h('span', null, t('mc.fallbackLong'))), emergencyBar({ compact: true }));
    } else {
      fallbackBox.hidden = true;
    }
    onState?.(s);
  }

  function timerText() {
    if (!session.connectedAt) return '';
    const sec = Math.floor((Date.now() - session.connectedAt) / 1000);
    return `${String(Math.floor(sec / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}`;
  }

  const off = session.listen({
    onChange: (s) => {
      if (s.state === 'connected' && !s.connectedAt) s.connectedAt = Date.now();
      draw();
    },
    onFallback: (why) => onFallback?.(why), // the fallback box below is the alert: no toast on top
    onClosed: () => document.body.classList.remove('mc-dim'),
  });
  if (kind === 'voice') {
    tick = setInterval(() => {
      const el2 = stage.querySelector('.mc-timer');
      if (el2) el2.textContent = timerText();
    }, 1000);
  }
  draw();

  return {
    el,
    session,
    /** The alarm ended (closed/cancelled): hang up for good. */
    end() {
      end(key);
      document.body.classList.remove('mc-dim');
    },
    /** Leaving the screen (or re-rendering it): the call survives a re-render. */
    destroy() {
      off();
      clearInterval(tick);
      document.body.classList.remove('mc-dim');
      if (!hungUp) release(key);
    },
  };
}

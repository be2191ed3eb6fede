// Capture in the app — never a file picker: a photo from the camera
// (getUserMedia → canvas → JPEG), a short video and a voice clip
// (MediaRecorder). Each capture is uploaded with its own client ID (a
// retry stores it once), its capture time and the last known position.

import { h, mount, icon, errorText } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';

const MAX_VIDEO_S = 30;
const MAX_AUDIO_S = 60;

function clientID() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return 'c' + [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * captureBox({ tripId, position(), signal, onLeave }) → Node with the
 * camera, the three buttons and the uploads in flight (the uploaded
 * items then arrive through the trip's feed).
 */
export function captureBox({ tripId, position, onLeave }) {
  let stream = null;
  let recorder = null;
  let tick = null;
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const video = h('video', { class: 'gd-viewfinder', autoplay: true, muted: true, playsInline: true, 'data-testid': 'gd-viewfinder' });
  video.muted = true;
  const shootBtn = h('button', { type: 'button', class: 'btn primary', 'data-action': 'shoot', onclick: shoot }, t('gd.shoot'));
  const recVideoBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'record-video', onclick: () => record('video') }, icon('video', { size: 18 }), t('gd.video'));
  const closeBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'close-camera', onclick: closeCamera }, t('gd.closeCam'));
  const cam = h('div', { class: 'gd-cam', hidden: true }, video, h('div', { class: 'gd-cam-actions' }, shootBtn, recVideoBtn, closeBtn));
  const photoBtn = h('button', { type: 'button', class: 'btn gd-cap-btn', 'data-action': 'photo', onclick: openCamera }, icon('video', { size: 22 }), h('span', null, t('gd.photoVideo')));
  const audioBtn = h('button', { type: 'button', class: 'btn gd-cap-btn', 'data-action': 'record-audio', onclick: () => record('audio') }, icon('voice', { size: 22 }), h('span', null, t('gd.audio')));
  const uploads = h('div', { class: 'gd-uploads', 'data-testid': 'gd-uploads' });
  const recNote = h('p', { class: 'gd-rec', hidden: true, 'data-testid': 'gd-recording' });

  function stopAll() {
    if (recorder && recorder.state !== 'inactive') {
      recorder.onstop = null;
      recorder.stop();
    }
    recorder = null;
    clearInterval(tick);
    if (stream) for (const tr of stream.getTracks()) tr.stop();
    stream = null;
  }
  onLeave(stopAll);

  async function openCamera() {
    msg.textContent = '';
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true });
    } catch {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      } catch {
        msg.textContent = t('gd.camDenied');
        return;
      }
    }
    video.srcObject = stream;
    cam.hidden = false;
    photoBtn.hidden = true;
  }

  function closeCamera() {
    stopAll();
    cam.hidden = true;
    photoBtn.hidden = false;
    recNote.hidden = true;
    recVideoBtn.replaceChildren(icon('video', { size: 18 }), t('gd.video'));
  }

  async function shoot() {
    if (!stream) return;
    const at = new Date();
    const c = document.createElement('canvas');
    c.width = video.videoWidth || 640;
    c.height = video.videoHeight || 480;
    c.getContext('2d').drawImage(video, 0, 0, c.width, c.height);
    const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.85));
    if (blob) upload('photo', blob, at);
  }

  async function record(kind) {
    msg.textContent = '';
    const btn = kind === 'video' ? recVideoBtn : audioBtn;
    if (recorder) {
      recorder.stop();
      return;
    }
    let src = stream;
    let own = null;
    try {
      if (kind === 'audio') own = src = await navigator.mediaDevices.getUserMedia({ audio: true });
      if (!src) return;
      const tracks = kind === 'video' ? src.getTracks() : src.getAudioTracks();
      const type = kind === 'video' ? 'video/webm' : 'audio/webm';
      recorder = new MediaRecorder(new MediaStream(tracks), MediaRecorder.isTypeSupported(type) ? { mimeType: type } : {});
    } catch {
      if (own) for (const tr of own.getTracks()) tr.stop();
      msg.textContent = t('gd.camDenied');
      return;
    }
    const chunks = [];
    const at = new Date();
    const max = kind === 'video' ? MAX_VIDEO_S : MAX_AUDIO_S;
    let s = 0;
    const rec = recorder;
    rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    rec.onstop = () => {
      clearInterval(tick);
      recorder = null;
      recNote.hidden = true;
      btn.replaceChildren(icon(kind === 'video' ? 'video' : 'voice', { size: 18 }), h('span', null, t(kind === 'video' ? 'gd.video' : 'gd.audio')));
      if (own) for (const tr of own.getTracks()) tr.stop();
      const blob = new Blob(chunks, { type: rec.mimeType || (kind === 'video' ? 'video/webm' : 'audio/webm') });
      if (blob.size) upload(kind, blob, at);
    };
    rec.start(1000);
    btn.replaceChildren(h('span', { class: 'gd-rec-dot' }), t('gd.stop'));
    recNote.hidden = false;
    recNote.textContent = t('gd.recording', { s: 0 });
    tick = setInterval(() => {
      s++;
      recNote.textContent = t('gd.recording', { s });
      if (s >= max && rec.state === 'recording') rec.stop();
    }, 1000);
  }

  function upload(kind, blob, at) {
    const id = clientID();
    const pos = position();
    const url = URL.createObjectURL(blob);
    const item = h('figure', { class: ['gd-thumb', 'k-' + kind, 'busy'], 'data-client': id });
    const preview = kind === 'photo' ? h('img', { src: url, alt: '' }) : h('span', { class: 'gd-thumb-kind' }, icon(kind === 'video' ? 'video' : 'voice', { size: 28 }));
    uploads.appendChild(item);
    const send = async () => {
      mount(item, preview, h('figcaption', null, t('gd.uploading')));
      item.classList.add('busy');
      try {
        const q = { kind, client_id: id, captured_at: at.toISOString() };
        if (pos) Object.assign(q, { lat: pos.lat, lng: pos.lng });
        await api.upload(`/api/v1/trips/${encodeURIComponent(tripId)}/media`, blob, { query: q });
        item.remove(); // the feed brings it back as a sent item
        URL.revokeObjectURL(url);
      } catch (e) {
        item.classList.remove('busy');
        mount(item, preview, h('button', { type: 'button', class: 'gd-retry', 'data-action': 'retry-upload', onclick: send }, t('gd.uploadFailed')),
          h('figcaption', { class: 'muted' }, errorText(e)));
      }
    };
    send();
  }

  return h('section', { class: 'gd-card gd-capture', 'data-testid': 'gd-capture' },
    h('h2', { class: 'gd-h2' }, t('gd.capture')),
    h('p', { class: 'muted small' }, t('gd.captureHint')),
    cam,
    h('div', { class: 'gd-cap-row' }, photoBtn, audioBtn),
    recNote, msg, uploads);
}

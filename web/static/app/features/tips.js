// 线索举报: a tip with evidence shot in the app (camera and microphone via
// getUserMedia; never a file picker), my tips with status, officers' looks
// and the dialogue. Each capture asks the server for a one-time capture
// token first, and uploads with its time, position and SHA-256.

import { h, screen, emergencyBar, icon, field, errorText, toast, mount } from '../../shared/ui.js';
import { t, fmtDateTime } from '../../shared/i18n.js';
import { api } from '../../shared/api.js';

// A few styles of this module's own, kept here so the shell's CSS stays the shell's.
document.head.appendChild(h('style', null, `
.tip-cam video, .tip-viewfinder { width: 100%; max-height: 50vh; background: #000; border-radius: 8px; }
.tip-cam-actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.tip-thumbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; }
.tip-thumb { margin: 0; border: 1px solid #d0d7e2; border-radius: 8px; padding: 4px; font-size: 12px; }
.tip-thumb img, .tip-thumb video { width: 100%; border-radius: 6px; display: block; }
.tip-thumb audio { width: 100%; }
.tip-thumb.busy { opacity: .6; }
.tip-check { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.tip-list { list-style: none; padding: 0; margin: 0; }
.tip-item { display: block; padding: 12px; border-bottom: 1px solid #e3e8ef; color: inherit; text-decoration: none; }
.tip-state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e8eef8; color: #1d4ed8; }
.tip-state.st-closed { background: #e7f6ec; color: #15803d; }
.tip-state.st-handling { background: #fff4e0; color: #b45309; }
.tip-facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; }
.tip-facts dt { color: #5b6575; } .tip-facts dd { margin: 0; }
.tip-desc { white-space: pre-wrap; background: #f6f8fb; padding: 12px; border-radius: 8px; }
.tip-dialogue { list-style: none; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.tip-dialogue .msg { max-width: 85%; padding: 6px 10px; border-radius: 10px; background: #eef2f7; }
.tip-dialogue .from-tipster { align-self: flex-end; background: #dbeafe; }
.tip-dialogue .msg p { margin: 2px 0; } .tip-dialogue time, .msg-who { font-size: 11px; color: #5b6575; }
.tip-send { display: flex; gap: 8px; }
`));

const CATS = ['organized_crime', 'guns', 'explosives', 'vice_gambling', 'pollution', 'drugs', 'intellectual_property', 'illegal_foreigners', 'other'];
const STATES = ['submitted', 'assigned', 'handling', 'closed'];

async function sha256hex(blob) {
  const buf = await blob.arrayBuffer();
  const d = await crypto.subtle.digest('SHA-256', buf);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error('no geolocation'));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy || 0) }),
      reject, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
}

/** Uploads one captured blob with a fresh capture token. */
async function uploadCapture(blob, capturedAt, pos) {
  const tok = await api.post('/api/v1/tips/capture-tokens', null);
  const hash = await sha256hex(blob);
  return api.upload('/api/v1/tips/media', blob, {
    headers: {
      'X-Capture-Token': tok.token,
      'X-Capture-Time': capturedAt.toISOString(),
      'X-Capture-Position': `${pos.lat},${pos.lng},${pos.accuracy_m || 0}`,
      'X-Content-SHA256': hash,
    },
  });
}

function stateLabel(s) {
  return h('span', { class: ['tip-state', 'st-' + s], 'data-state': s }, t('tips.state.' + s));
}

// ---- new tip --------------------------------------------------------------

function renderNew(ctx) {
  let pos = null;
  let stream = null;
  let recorder = null;
  const captures = []; // { media, url }
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const cat = h('select', { class: 'input', name: 'category', 'data-testid': 'tip-category' },
    CATS.map((c) => h('option', { value: c }, t('tips.cat.' + c))));
  const desc = h('textarea', { class: 'input', name: 'description', rows: 5, maxlength: '4000', 'data-testid': 'tip-description', placeholder: t('tips.descHint') });
  const posText = h('span', { class: 'muted', 'data-testid': 'tip-position' }, t('tips.locating'));
  const centerSel = h('select', { class: 'input', name: 'center', 'data-testid': 'tip-center' }, h('option', { value: '' }, t('tips.centerAuto')));
  const anon = h('input', { type: 'checkbox', name: 'anonymous', 'data-testid': 'tip-anonymous' });
  const name = h('input', { class: 'input', name: 'name', maxlength: '64', autocomplete: 'name', 'data-testid': 'tip-name' });
  const video = h('video', { class: 'tip-viewfinder', autoplay: true, muted: true, playsInline: true, 'data-testid': 'tip-viewfinder' });
  video.muted = true;
  const thumbs = h('div', { class: 'tip-thumbs', 'data-testid': 'tip-captures' });
  const camBox = h('div', { class: 'tip-cam', hidden: true }, video);
  const startBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'camera', onclick: openCamera }, icon('video', { size: 18 }), ' ', t('tips.openCamera'));
  const shotBtn = h('button', { type: 'button', class: 'btn primary', 'data-action': 'shoot', disabled: true, onclick: shoot }, t('tips.shoot'));
  const recBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'record-video', disabled: true, onclick: () => record(true) }, t('tips.recordVideo'));
  const audBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'record-audio', onclick: () => record(false) }, t('tips.recordAudio'));
  const submit = h('button', { type: 'submit', class: 'btn primary block', 'data-action': 'submit-tip' }, t('tips.submit'));

  currentPosition().then((p) => {
    pos = p;
    posText.textContent = t('tips.positionAt', { lat: p.lat.toFixed(5), lng: p.lng.toFixed(5), acc: p.accuracy_m });
    return api.get('/api/v1/route', { query: { lat: p.lat, lng: p.lng } }).then((r) => {
      centerSel.firstChild.textContent = t('tips.centerRouted', { name: r.center.name });
    }).catch(() => {});
  }).catch(() => { posText.textContent = t('tips.noPosition'); });
  api.get('/api/v1/centers').then((r) => {
    for (const c of (r.centers || []).filter((c) => c.active)) centerSel.appendChild(h('option', { value: c.code }, c.name));
  }).catch(() => {});
  anon.addEventListener('change', () => { name.disabled = anon.checked; });

  function stopStream() {
    if (stream) for (const tr of stream.getTracks()) tr.stop();
    stream = null;
  }
  ctx.onLeave(stopStream);

  async function openCamera() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: true });
      video.srcObject = stream;
      camBox.hidden = false;
      shotBtn.disabled = false;
      recBtn.disabled = false;
      startBtn.hidden = true;
    } catch (e) {
      msg.textContent = t('tips.cameraDenied');
    }
  }

  async function addCapture(blob, capturedAt) {
    if (!pos) {
      msg.textContent = t('tips.noPosition');
      return;
    }
    const item = h('figure', { class: 'tip-thumb busy' }, h('figcaption', null, t('tips.uploading')));
    thumbs.appendChild(item);
    try {
      const m = await uploadCapture(blob, capturedAt, pos);
      const url = URL.createObjectURL(blob);
      captures.push({ media: m, url });
      mount(item, m.kind === 'photo' ? h('img', { src: url, alt: '' }) : h(m.kind === 'video' ? 'video' : 'audio', { src: url, controls: true }),
        h('figcaption', null, t('tips.kind.' + m.kind) + ' · ' + fmtDateTime(m.captured_at) + ' · SHA-256 ' + m.sha256.slice(0, 8)));
      item.classList.remove('busy');
      item.dataset.media = m.id;
    } catch (e) {
      item.remove();
      msg.textContent = errorText(e);
    }
  }

  async function shoot() {
    if (!stream) return;
    const capturedAt = new Date();
    const c = document.createElement('canvas');
    c.width = video.videoWidth || 640;
    c.height = video.videoHeight || 480;
    c.getContext('2d').drawImage(video, 0, 0, c.width, c.height);
    const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.9));
    await addCapture(blob, capturedAt);
  }

  async function record(withVideo) {
    const btn = withVideo ? recBtn : audBtn;
    if (recorder) {
      recorder.stop();
      return;
    }
    let src = stream;
    let own = null;
    try {
      if (!withVideo) own = src = await navigator.mediaDevices.getUserMedia({ audio: true });
      else if (!src) return;
      const tracks = withVideo ? src.getTracks() : src.getAudioTracks();
      const type = withVideo ? 'video/webm' : 'audio/webm';
      recorder = new MediaRecorder(new MediaStream(tracks), { mimeType: MediaRecorder.isTypeSupported(type) ? type : '' });
    } catch {
      msg.textContent = t('tips.cameraDenied');
      return;
    }
    const chunks = [];
    const capturedAt = new Date();
    recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    recorder.onstop = async () => {
      recorder = null;
      btn.textContent = withVideo ? t('tips.recordVideo') : t('tips.recordAudio');
      if (own) for (const tr of own.getTracks()) tr.stop();
      const blob = new Blob(chunks, { type: withVideo ? 'video/webm' : 'audio/webm' });
      await addCapture(blob, capturedAt);
    };
    recorder.start();
    btn.textContent = t('tips.stop');
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    msg.textContent = '';
    if (!pos) {
      msg.textContent = t('tips.noPosition');
      return;
    }
    submit.disabled = true;
    try {
      const body = { category: cat.value, description: desc.value, position: pos, media: captures.map((c) => c.media.id), anonymous: anon.checked };
      if (centerSel.value) body.center = centerSel.value;
      if (!anon.checked && name.value.trim()) body.name = name.value.trim();
      const tip = await api.post('/api/v1/tips', body);
      stopStream();
      toast(t('tips.submitted'), 'ok');
      ctx.shell.navigate('/tips/' + tip.id, { replace: true });
    } catch (e) {
      msg.textContent = errorText(e);
      submit.disabled = false;
    }
  }

  return screen({ title: t('tips.new'), back: '/tips' },
    h('form', { class: 'form tip-form', onsubmit: onSubmit, noValidate: true },
      field(t('tips.category'), cat),
      field(t('tips.description'), desc),
      h('div', { class: 'field' }, h('label', null, t('tips.evidence')), h('p', { class: 'field-hint' }, t('tips.evidenceHint')),
        camBox, h('div', { class: 'tip-cam-actions' }, startBtn, shotBtn, recBtn, audBtn), thumbs),
      h('div', { class: 'field' }, h('label', null, t('tips.position')), posText),
      field(t('tips.center'), centerSel),
      h('label', { class: 'tip-check' }, anon, ' ', t('tips.anonymous')),
      field(t('tips.name'), name, t('tips.nameHint')),
      h('p', { class: 'form-info' }, icon('info', { size: 16 }), ' ', t('tips.privacy')),
      msg, submit),
    emergencyBar({ compact: true }));
}

// ---- my tips ---------------------------------------------------------------

async function renderList(ctx) {
  let tips = [];
  let err = null;
  try {
    tips = (await api.get('/api/v1/tips/mine', { signal: ctx.signal })).tips || [];
  } catch (e) {
    err = e;
  }
  return screen({ title: t('fn.tips'), back: '/' },
    h('p', { class: 'muted' }, t('fn.tips.desc')),
    h('a', { class: 'btn primary block', href: '#/tips/new', 'data-action': 'new-tip' }, t('tips.new')),
    h('h2', { class: 'section-title' }, t('tips.mine')),
    err ? h('p', { class: 'form-msg' }, errorText(err)) : null,
    tips.length === 0 && !err ? h('p', { class: 'muted' }, t('tips.none')) : null,
    h('ul', { class: 'tip-list', 'data-testid': 'my-tips' }, tips.map((tp) => h('li', null,
      h('a', { href: '#/tips/' + tp.id, class: 'tip-item' },
        h('div', null, h('strong', null, t('tips.cat.' + tp.category)), ' ', stateLabel(tp.state)),
        h('div', { class: 'muted' }, fmtDateTime(tp.created_at), ' · ', tp.center.name),
        tp.views && tp.views.count ? h('div', { class: 'muted' }, t('tips.viewedN', { n: tp.views.count, at: fmtDateTime(tp.views.last) })) : null)))),
    emergencyBar({ compact: true }));
}

async function renderDetail(ctx) {
  let d;
  try {
    d = await api.get('/api/v1/tips/' + encodeURIComponent(ctx.params.id), { signal: ctx.signal });
  } catch (e) {
    return screen({ title: t('fn.tips'), back: '/tips' }, h('p', { class: 'form-msg' }, errorText(e)));
  }
  const msgs = h('ol', { class: 'tip-dialogue', 'data-testid': 'tip-dialogue' });
  const drawMsgs = (list) => mount(msgs, list.map((m) => h('li', { class: 'msg from-' + m.from },
    h('span', { class: 'msg-who' }, t('tips.from.' + m.from)), h('p', null, m.text), h('time', null, fmtDateTime(m.at)))));
  drawMsgs(d.messages || []);
  const input = h('input', { class: 'input', name: 'message', maxlength: '2000', placeholder: t('tips.writeHint') });
  async function send(ev) {
    ev.preventDefault();
    if (!input.value.trim()) return;
    try {
      await api.post(`/api/v1/tips/${d.id}/messages`, { text: input.value });
      input.value = '';
      drawMsgs((await api.get(`/api/v1/tips/${d.id}/messages`)).messages || []);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }
  const timer = setInterval(async () => {
    try {
      drawMsgs((await api.get(`/api/v1/tips/${d.id}/messages`)).messages || []);
    } catch { /* retried */ }
  }, 10000);
  ctx.onLeave(() => clearInterval(timer));
  return screen({ title: t('tips.cat.' + d.category), back: '/tips' },
    h('dl', { class: 'tip-facts' },
      h('dt', null, t('tips.stateLabel')), h('dd', null, stateLabel(d.state), d.result ? ' · ' + t('tips.result.' + d.result) : ''),
      d.result_note ? [h('dt', null, t('tips.resultNote')), h('dd', null, d.result_note)] : null,
      h('dt', null, t('tips.center')), h('dd', null, d.center.name),
      h('dt', null, t('tips.submittedAt')), h('dd', null, fmtDateTime(d.created_at)),
      h('dt', null, t('tips.identityLabel')), h('dd', null, t('tips.identity.' + d.identity))),
    h('p', { class: 'tip-desc' }, d.description),
    h('div', { class: 'tip-thumbs' }, (d.media || []).map((m) => h('figure', { class: 'tip-thumb' },
      h('figcaption', null, t('tips.kind.' + m.kind) + ' · ' + fmtDateTime(m.captured_at) + ' · SHA-256 ' + m.sha256.slice(0, 12))))),
    h('h2', { class: 'section-title' }, t('tips.views')),
    (d.views || []).length === 0 ? h('p', { class: 'muted' }, t('tips.notViewed')) :
      h('ul', { class: 'tip-views', 'data-testid': 'tip-views' }, d.views.map((v) => h('li', null, fmtDateTime(v.at), ' · ', t('tips.look.' + v.what)))),
    h('h2', { class: 'section-title' }, t('tips.dialogue')),
    msgs,
    d.state !== 'closed' ? h('form', { class: 'tip-send', onsubmit: send }, input, h('button', { type: 'submit', class: 'btn primary' }, t('tips.send'))) : null);
}

export default {
  id: 'tips',
  strings: {
    'zh-CN': {
      'tips.new': '我要举报',
      'tips.mine': '我的举报',
      'tips.none': '您还没有提交过举报。',
      'tips.category': '线索类型',
      'tips.description': '举报内容',
      'tips.descHint': '请描述时间、地点、人员、经过等情况',
      'tips.evidence': '现场照片、视频、录音',
      'tips.evidenceHint': '必须在App内拍摄，不能从相册选择；App会记录拍摄的时间和地点。',
      'tips.openCamera': '打开相机',
      'tips.shoot': '拍照',
      'tips.recordVideo': '录像',
      'tips.recordAudio': '录音',
      'tips.stop': '停止',
      'tips.uploading': '正在上传…',
      'tips.cameraDenied': '无法使用相机或麦克风，请在浏览器设置中允许。',
      'tips.position': '当前位置',
      'tips.locating': '正在定位…',
      'tips.noPosition': '无法获取位置，请允许定位后重试。',
      'tips.positionAt': '纬度 {lat}，经度 {lng}（精度约 {acc} 米）',
      'tips.center': '接收单位',
      'tips.centerAuto': '默认：当前所在地公安机关',
      'tips.centerRouted': '默认：{name}',
      'tips.anonymous': '匿名举报（不保存我的姓名和手机号）',
      'tips.name': '真实姓名（选填）',
      'tips.nameHint': '姓名和手机号加密保存，只有处理民警可以查看，每次查看都会记录。',
      'tips.privacy': '举报人信息严格保密。',
      'tips.submit': '提交举报',
      'tips.submitted': '举报已提交',
      'tips.stateLabel': '处理状态',
      'tips.state.submitted': '已提交',
      'tips.state.assigned': '已分派',
      'tips.state.handling': '处理中',
      'tips.state.closed': '已办结',
      'tips.result.verified': '查实',
      'tips.result.partly_verified': '部分查实',
      'tips.result.not_verified': '未查实',
      'tips.result.transferred': '移交',
      'tips.resultNote': '处理结果说明',
      'tips.submittedAt': '提交时间',
      'tips.identityLabel': '身份信息',
      'tips.identity.sealed': '已加密保存，仅处理民警可见',
      'tips.identity.anonymous': '匿名，未保存',
      'tips.views': '查看记录',
      'tips.notViewed': '尚未被查看。',
      'tips.viewedN': '已被查看 {n} 次，最近 {at}',
      'tips.look.opened': '民警查看了举报内容',
      'tips.look.media': '民警查看了照片/视频/录音',
      'tips.look.identity': '处理民警查看了您的身份信息',
      'tips.look.exported': '民警导出了证据',
      'tips.dialogue': '与处理民警沟通',
      'tips.writeHint': '输入消息（民警看不到您的身份）',
      'tips.send': '发送',
      'tips.from.tipster': '我',
      'tips.from.police': '处理民警',
      'tips.kind.photo': '照片',
      'tips.kind.video': '视频',
      'tips.kind.audio': '录音',
      'tips.cat.organized_crime': '涉黑涉恶',
      'tips.cat.guns': '涉枪',
      'tips.cat.explosives': '涉爆',
      'tips.cat.vice_gambling': '涉黄涉赌',
      'tips.cat.pollution': '环境污染',
      'tips.cat.drugs': '吸毒/制贩毒',
      'tips.cat.intellectual_property': '知识产权',
      'tips.cat.illegal_foreigners': '外国人三非',
      'tips.cat.other': '其他',
      'error.capture_token_expired': '拍摄凭证已过期，请重新拍摄。',
      'error.capture_token_used': '拍摄凭证已使用，请重新拍摄。',
      'error.hash_mismatch': '文件校验失败，请重新拍摄。',
      'error.unsupported_media': '不支持的媒体格式。',
      'error.media_too_large': '文件太大。',
      'error.media_far_from_tip': '拍摄地点离举报位置太远。',
      'error.outside_jurisdiction': '当前位置不在本省范围内，请选择接收单位。',
    },
    en: {
      'tips.new': 'Report a tip',
      'tips.mine': 'My tips',
      'tips.none': 'You have not sent any tips.',
      'tips.category': 'Category',
      'tips.description': 'What happened',
      'tips.descHint': 'When, where, who, what',
      'tips.evidence': 'Photos, video, audio from the scene',
      'tips.evidenceHint': 'Shot in the app only, not chosen from the gallery; the app records when and where.',
      'tips.openCamera': 'Open camera',
      'tips.shoot': 'Take photo',
      'tips.recordVideo': 'Record video',
      'tips.recordAudio': 'Record audio',
      'tips.stop': 'Stop',
      'tips.uploading': 'Uploading…',
      'tips.cameraDenied': 'Camera or microphone unavailable; allow them in the browser settings.',
      'tips.position': 'Your position',
      'tips.locating': 'Locating…',
      'tips.noPosition': 'No position; allow location and try again.',
      'tips.positionAt': 'lat {lat}, lng {lng} (±{acc} m)',
      'tips.center': 'Receiving unit',
      'tips.centerAuto': 'Default: police where you are',
      'tips.centerRouted': 'Default: {name}',
      'tips.anonymous': 'Stay anonymous (store neither my name nor my phone)',
      'tips.name': 'Real name (optional)',
      'tips.nameHint': 'Name and phone are stored encrypted; only the handling officer can see them, and every look is logged.',
      'tips.privacy': 'Tipsters are kept confidential.',
      'tips.submit': 'Send tip',
      'tips.submitted': 'Tip sent',
      'tips.stateLabel': 'Status',
      'tips.state.submitted': 'Submitted',
      'tips.state.assigned': 'Assigned',
      'tips.state.handling': 'Being handled',
      'tips.state.closed': 'Closed',
      'tips.result.verified': 'Verified',
      'tips.result.partly_verified': 'Partly verified',
      'tips.result.not_verified': 'Not verified',
      'tips.result.transferred': 'Transferred',
      'tips.resultNote': 'Result note',
      'tips.submittedAt': 'Sent',
      'tips.identityLabel': 'Your identity',
      'tips.identity.sealed': 'Encrypted; only the handling officer can see it',
      'tips.identity.anonymous': 'Anonymous; not stored',
      'tips.views': 'Looks by officers',
      'tips.notViewed': 'Not viewed yet.',
      'tips.viewedN': 'Viewed {n} times, last {at}',
      'tips.look.opened': 'An officer read the tip',
      'tips.look.media': 'An officer viewed a photo/video/recording',
      'tips.look.identity': 'The handling officer viewed your identity',
      'tips.look.exported': 'An officer exported the evidence',
      'tips.dialogue': 'Talk to the handling officer',
      'tips.writeHint': 'Message (the officer does not see who you are)',
      'tips.send': 'Send',
      'tips.from.tipster': 'Me',
      'tips.from.police': 'Handling officer',
      'tips.kind.photo': 'Photo',
      'tips.kind.video': 'Video',
      'tips.kind.audio': 'Audio',
      'tips.cat.organized_crime': 'Organised crime',
      'tips.cat.guns': 'Guns',
      'tips.cat.explosives': 'Explosives',
      'tips.cat.vice_gambling': 'Vice and gambling',
      'tips.cat.pollution': 'Environmental pollution',
      'tips.cat.drugs': 'Drugs',
      'tips.cat.intellectual_property': 'Intellectual property',
      'tips.cat.illegal_foreigners': 'Illegal foreigners (entry, stay, work)',
      'tips.cat.other': 'Other',
      'error.capture_token_expired': 'The capture expired; shoot again.',
      'error.capture_token_used': 'The capture token was used; shoot again.',
      'error.hash_mismatch': 'The upload was damaged; shoot again.',
      'error.unsupported_media': 'Unsupported media format.',
      'error.media_too_large': 'File too large.',
      'error.media_far_from_tip': 'A capture was taken far from the tip position.',
      'error.outside_jurisdiction': 'You are outside the province; choose a receiving unit.',
    },
  },
  routes: {
    '/tips': renderList,
    '/tips/new': renderNew,
    '/tips/:id': renderDetail,
  },
};

export { STATES };

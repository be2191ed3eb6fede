// The printable poster (扫码注册): a QR code that opens the citizen app,
// the functions in the Hebei app's own words, and when to phone instead.
// The QR image is drawn by the server (/poster/qr.svg) for its public URL.

import '../shared/strings.js';
import { t, addStrings, lang, setLang, onLangChange } from '../shared/i18n.js';
import { h, icon, mount, langSwitch } from '../shared/ui.js';
import { FUNCTIONS } from '../app/functions.js';

addStrings({
  'zh-CN': {
    'poster.title': '公安110',
    'poster.headline': '网络报警 视频报警',
    'poster.lead': '视频报警、静默报警、语音报警、亲友互助、寻人启事、线索举报，拨打110、122和短信报警',
    'poster.scan': '扫码注册',
    'poster.scanHow': '用手机扫描二维码，按照提示注册使用',
    'poster.functions': '主要功能',
    'poster.notice': '没网络时及时打电话报警',
    'poster.noticeText': '无法接通视频或语音报警时，请直接拨打110电话或发送短信至12110报警，以免耽误报警时机。',
    'poster.privacy': '除报警、线索举报和亲友互助时定位外，不搜集您及您手机的任何其他信息。',
    'poster.print': '打印海报',
  },
  en: {
    'poster.title': 'Police 110',
    'poster.headline': 'Alarm by video, online',
    'poster.lead': 'Video, silent and voice alarms, guardians, missing persons, tips — and one tap to call 110, 122 or text 12110',
    'poster.scan': 'Scan to register',
    'poster.scanHow': 'Scan the code with your phone and follow the steps',
    'poster.functions': 'What it does',
    'poster.notice': 'No network? Phone at once',
    'poster.noticeText': 'If a video or voice alarm cannot connect, call 110 or text 12110 straight away.',
    'poster.privacy': 'Your position is used only during an alarm, a tip or a guarded trip; nothing else is collected.',
    'poster.print': 'Print poster',
  },
});

const root = document.getElementById('root');

function render() {
  document.title = t('poster.title') + ' · ' + t('poster.scan');
  mount(root,
    h('div', { class: 'poster-tools' },
      langSwitch(lang, setLang),
      h('button', { type: 'button', class: 'btn primary', onclick: () => window.print() }, icon('print', { size: 18 }), t('poster.print'))),
    h('article', { class: 'sheet' },
      h('header', { class: 'p-head' },
        h('div', { class: 'p-mark' }, '110'),
        h('div', null, h('h1', null, t('poster.title')), h('p', { class: 'p-headline' }, t('poster.headline')))),
      h('p', { class: 'p-lead' }, t('poster.lead')),
      h('div', { class: 'p-qr' },
        h('img', { src: '/poster/qr.svg', alt: t('poster.scan'), width: 260, height: 260 }),
        h('div', { class: 'p-qr-text' }, h('h2', null, t('poster.scan')), h('p', null, t('poster.scanHow')))),
      h('h2', { class: 'p-sub' }, t('poster.functions')),
      h('ul', { class: 'p-fns' }, FUNCTIONS.map((f) => h('li', null, h('span', { class: 'p-fn-icon' }, icon(f.icon, { size: 26 })), h('div', null, h('strong', null, t('fn.' + f.id)), h('p', null, t('fn.' + f.id + '.desc')))))),
      h('div', { class: 'p-notice' }, h('strong', null, t('poster.notice')), h('p', null, t('poster.noticeText')),
        h('div', { class: 'p-numbers' }, h('span', null, '110'), h('span', null, '122'), h('span', null, '12110'))),
      h('p', { class: 'p-privacy' }, t('poster.privacy'))));
}

onLangChange(render);
render();

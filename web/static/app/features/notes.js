// 使用须知: the five notes from the Hebei app's launch article. A small but
// complete example of a citizen-app feature module (see web/README.md).

import { h, screen, emergencyBar, icon } from '../../shared/ui.js';
import { t } from '../../shared/i18n.js';

const NOTES = ['notes.n1', 'notes.n2', 'notes.n3', 'notes.n4', 'notes.n5'];

function render() {
  return screen({ title: t('notes.title'), back: true },
    h('ol', { class: 'notes' }, NOTES.map((k) => h('li', null, h('strong', null, t(k + '.title')), h('p', null, t(k))))),
    emergencyBar());
}

export default {
  id: 'notes',
  strings: {
    'zh-CN': {
      'notes.title': '使用须知',
      'notes.link': '使用须知与隐私说明',
      'notes.n1.title': '网络报警是补充，不是代替',
      'notes.n1': '互联网视频和语音报警，是对110电话语音报警和12110短信报警的补充和拓展，不是要代替原先的110和12110报警。',
      'notes.n2.title': '没网络时及时打电话报警',
      'notes.n2': '推荐在4G网络或者WiFi网络环境下使用。如果因网络等原因无法接通视频或语音报警，请直接拨打110电话或者发送短信至12110报警，以免耽误报警时机。',
      'notes.n3.title': '亲友互助只有守护人可见',
      'notes.n3': '在使用“亲友互助”时，只有您设定的守护人可以看到您的位置和现场情况，公安机关不实时查看。只有在报警后，公安机关才会及时处置。',
      'notes.n4.title': '网络流量费用',
      'notes.n4': '视频、语音报警和“线索举报”等功能会使用手机套餐的网络流量。',
      'notes.n5.title': '尊重用户隐私',
      'notes.n5': '除了报警（视频报警、语音报警、静默报警）和使用“线索举报”“亲友互助”时会定位您的位置外，不搜集您及您手机的任何其他信息。',
    },
    en: {
      'notes.title': 'Before you use it',
      'notes.link': 'Notes and privacy',
      'notes.n1.title': 'An addition, not a replacement',
      'notes.n1': 'Internet video and voice alarms add to calling 110 and texting 12110; they do not replace them.',
      'notes.n2.title': 'No network? Call at once',
      'notes.n2': 'Use 4G or Wi-Fi. If a video or voice alarm cannot connect, call 110 or text 12110 straight away so no time is lost.',
      'notes.n3.title': 'Only your guardians see your trip',
      'notes.n3': 'With Guardians, only the guardians you choose see your position and surroundings. The police do not watch; they act once an alarm is raised.',
      'notes.n4.title': 'Mobile data',
      'notes.n4': 'Video and voice alarms and tips use your mobile data allowance.',
      'notes.n5.title': 'Your privacy',
      'notes.n5': 'Your position is used only during an alarm (video, voice, silent), a tip or a guarded trip. Nothing else about you or your phone is collected.',
    },
  },
  routes: {
    '/notes': { render, public: true },
  },
  home: () => h('a', { class: 'home-link', href: '#/notes' }, icon('info', { size: 20 }), h('span', null, t('notes.link')), icon('chevron', { size: 18 })),
};

// 亲友互助 in the console: the linked-trip panel of the alarm view. An
// alarm raised from or about a guarded trip (alarm.links.trip_id) lets the
// centre handling it pull the trip's track and media from before the
// alarm — audited, and visible to the traveller. No other police view of
// trips exists.

import { registerAlarmPanel } from './alarm/panels.js';
import { renderLinkedTripPanel } from './guardian/panel.js';

registerAlarmPanel({
  id: 'guardian-trip',
  order: 20,
  column: 'map',
  // Only the officers the server lets read it (a supervisor or admin gets
  // 404 whatever their rank).
  roles: ['dispatcher', 'handler'],
  render: renderLinkedTripPanel,
});

export default {
  id: 'guardian',
  strings: {
    'zh-CN': {
      'gt.title': '亲友互助 · 关联行程',
      'gt.notice': '本行程数据仅因关联本警情而可调取。每次调取都会审计留痕：记录您的账号、时间、IP和警情编号，出行人本人可以查看。请仅为处警需要调取。',
      'gt.by.traveller': '出行人在行程中一键求助。',
      'gt.by.guardian': '守护人（{phone}）为出行人报警。',
      'gt.by.duress': '出行人输入胁迫安全码结束行程（表面显示已报平安），可能正受人控制。',
      'gt.duressWarn': '请勿贸然回拨出行人电话。',
      'gt.load': '调取报警前的轨迹和照片（将被审计）',
      'gt.reload': '重新调取',
      'gt.closed': '警情已结束，不能再调取行程数据。',
      'gt.noAccess': '无法调取：只有警情所在指挥中心的接警员和处理民警，在警情处理期间可以调取。',
      'gt.mode': '出行方式',
      'gt.mode.taxi': '打车/网约车',
      'gt.mode.night_run': '夜跑',
      'gt.mode.meeting': '见网友',
      'gt.mode.other': '其他',
      'gt.dest': '目的地',
      'gt.traveller': '出行人电话',
      'gt.started': '行程开始',
      'gt.expected': '预计到达',
      'gt.cutoff': '数据截止（报警时）',
      'gt.points': '轨迹点',
      'gt.last': '报警前最后位置',
      'gt.ended': '行程结束',
      'gt.start': '出发点',
      'gt.media': '照片和音视频（{n}）',
      'gt.noMedia': '报警前没有照片或音视频。',
      'gt.kind.photo': '照片',
      'gt.kind.video': '视频',
      'gt.kind.audio': '语音',
      'gt.play': '播放',
      'gt.readAt': '{at} 调取（已审计）',
    },
    en: {
      'gt.title': 'Guardians · linked trip',
      'gt.notice': 'This trip’s data is available only through this linked alarm. Every read records your account, the time, your IP and the alarm, and the traveller can see it. Read it only as the case needs.',
      'gt.by.traveller': 'The traveller pressed SOS during the trip.',
      'gt.by.guardian': 'A guardian ({phone}) raised the alarm for the traveller.',
      'gt.by.duress': 'The traveller ended the trip with the duress PIN (their screen shows “arrived”): they may be under someone’s control.',
      'gt.duressWarn': 'Do not call the traveller back without care.',
      'gt.load': 'Read the track and photos from before the alarm (audited)',
      'gt.reload': 'Read again',
      'gt.closed': 'The alarm is closed: the trip data can no longer be read.',
      'gt.noAccess': 'Not available: only dispatchers and handling officers of the centre holding the alarm may read it while the case is open.',
      'gt.mode': 'Trip',
      'gt.mode.taxi': 'Taxi / ride-hailing',
      'gt.mode.night_run': 'Night run',
      'gt.mode.meeting': 'Meeting someone',
      'gt.mode.other': 'Other',
      'gt.dest': 'Destination',
      'gt.traveller': 'Traveller’s phone',
      'gt.started': 'Started',
      'gt.expected': 'Expected arrival',
      'gt.cutoff': 'Data up to (the alarm)',
      'gt.points': 'Track points',
      'gt.last': 'Last position before the alarm',
      'gt.ended': 'Trip ended',
      'gt.start': 'Start',
      'gt.media': 'Photos, video and voice ({n})',
      'gt.noMedia': 'No photos or clips before the alarm.',
      'gt.kind.photo': 'Photo',
      'gt.kind.video': 'Video',
      'gt.kind.audio': 'Voice',
      'gt.play': 'Play',
      'gt.readAt': 'read at {at} (audited)',
    },
  },
};

// Live media in the console's alarm view (issue 5): the caller's video or
// voice, the dispatcher's camera and microphone for video alarms, mute,
// snapshot to evidence, "send video link" for text, SMS and voice alarms,
// and the recordings list with audited playback. Plugs into the alarm
// view through its panel registry (./alarm/panels.js); no route of its own.

import { h } from '../../shared/ui.js';
import { registerAlarmPanel } from './alarm/panels.js';
import { renderLive } from './media/live.js';
import { renderRecordings } from './media/recordings.js';

let cssLoaded = false;
function loadCSS() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: new URL('./media/media.css', import.meta.url).href }));
}

const OFFICERS = ['dispatcher', 'supervisor', 'admin'];

registerAlarmPanel({
  id: 'media-live',
  order: 10,
  column: 'chat',
  roles: OFFICERS,
  render(ctx, alarm) {
    loadCSS();
    return renderLive(ctx, alarm);
  },
});

registerAlarmPanel({
  id: 'media-recordings',
  order: 40,
  column: 'side',
  roles: OFFICERS,
  render(ctx, alarm) {
    loadCSS();
    return renderRecordings(ctx, alarm);
  },
});

export default {
  id: 'media',
  strings: {
    'zh-CN': {
      'mv.title': '实时音视频',
      'mv.state.idle': '未连接',
      'mv.state.signalling': '连接中…',
      'mv.state.connecting': '正在接通…',
      'mv.state.connected': '已接通',
      'mv.state.reconnecting': '网络切换，重连中…',
      'mv.state.failed': '音视频未能接通',
      'mv.state.closed': '已结束',
      'mv.notConnected': '音视频未连接',
      'mv.waitingVideo': '等待报警人画面…',
      'mv.voiceOn': '语音通话中',
      'mv.voiceWaiting': '等待报警人声音…',
      'mv.silentNote': '静默报警：报警人手机不发出任何声音，请通过文字与其沟通。',
      'mv.observerNote': '预览中（未接警，仅观看）。',
      'mv.callerLeft': '报警人的音视频已断开。',
      'mv.deviceError.denied': '无法使用本机摄像头或麦克风（未授权）。',
      'mv.deviceError.unavailable': '本机没有可用的摄像头或麦克风。',
      'mv.mute': '麦克风静音',
      'mv.unmute': '取消静音',
      'mv.cameraOff': '关闭摄像头',
      'mv.cameraOn': '打开摄像头',
      'mv.snapshot': '截图存证',
      'mv.snapshotSaved': '截图已存证（SHA-256 {sha}…）',
      'mv.play': '播放',
      'mv.connect': '连接音视频',
      'mv.ended': '警情已结束，音视频已关闭。',
      'mv.sendLink': '发送视频链接',
      'mv.linkAgain': '重新发送视频链接',
      'mv.linkHint': '通过短信向报警人发送一次性视频链接，对方无需安装应用，同意后即可单向视频。',
      'mv.linkSent': '视频链接已发送至 {to}，{at} 前有效。',
      'mv.linkSentToast': '视频链接已发送至 {to}',
      'mv.rec.title': '录像证据',
      'mv.rec.refresh': '刷新',
      'mv.rec.live': '正在录制',
      'mv.rec.none': '暂无录像',
      'mv.rec.pending': '每段录像（约10秒）保存后显示在此。',
      'mv.rec.loading': '加载中…',
      'mv.rec.playAll': '播放全部（{n} 段）',
      'mv.rec.play': '播放',
      'mv.rec.start': '开始',
      'mv.rec.len': '时长',
      'mv.rec.size': '大小',
      'mv.rec.snapshots': '截图（{n}）',
      'mv.rec.reasonTitle': '请填写调阅事由',
      'mv.rec.audited': '每次播放都会记入审计日志（账号、时间、IP、事由）。',
      'mv.rec.reasonHint': '例如：复核警情',
      'mv.rec.reasonNeeded': '请填写调阅事由。',
      'mv.rec.r.review': '复核警情',
      'mv.rec.r.evidence': '调取证据',
      'mv.rec.r.supervise': '督察检查',
      'mv.rec.cancel': '取消',
      'mv.rec.confirm': '确认播放',
      'mv.rec.nowPlaying': '正在播放第 {i}/{n} 段（#{seq}，{at}）',
      'error.reason_required': '请填写调阅事由。',
      'error.recording_not_found': '没有找到录像。',
      'error.not_in_alarm': '您不在该警情的音视频中。',
      'error.no_media': '该警情没有实时音视频（文字/短信报警需先发送视频链接）。',
      'error.phone_required': '该警情没有报警人手机号。',
    },
    en: {
      'mv.title': 'Live video and audio',
      'mv.state.idle': 'Not connected',
      'mv.state.signalling': 'Connecting…',
      'mv.state.connecting': 'Connecting media…',
      'mv.state.connected': 'Connected',
      'mv.state.reconnecting': 'Network changed, reconnecting…',
      'mv.state.failed': 'Media could not connect',
      'mv.state.closed': 'Ended',
      'mv.notConnected': 'Media not connected',
      'mv.waitingVideo': 'Waiting for the caller\'s video…',
      'mv.voiceOn': 'Voice call',
      'mv.voiceWaiting': 'Waiting for the caller\'s audio…',
      'mv.silentNote': 'Silent alarm: the caller\'s phone makes no sound. Talk by text.',
      'mv.observerNote': 'Preview (not answered, watching only).',
      'mv.callerLeft': 'The caller\'s media has disconnected.',
      'mv.deviceError.denied': 'Camera or microphone not allowed on this computer.',
      'mv.deviceError.unavailable': 'No camera or microphone on this computer.',
      'mv.mute': 'Mute microphone',
      'mv.unmute': 'Unmute',
      'mv.cameraOff': 'Camera off',
      'mv.cameraOn': 'Camera on',
      'mv.snapshot': 'Snapshot to evidence',
      'mv.snapshotSaved': 'Snapshot saved to evidence (SHA-256 {sha}…)',
      'mv.play': 'Play',
      'mv.connect': 'Connect media',
      'mv.ended': 'The alarm has ended; media is closed.',
      'mv.sendLink': 'Send video link',
      'mv.linkAgain': 'Send the video link again',
      'mv.linkHint': 'Send the caller a one-time video link by SMS: no app needed; after consent they stream one-way video.',
      'mv.linkSent': 'Video link sent to {to}, valid until {at}.',
      'mv.linkSentToast': 'Video link sent to {to}',
      'mv.rec.title': 'Recorded evidence',
      'mv.rec.refresh': 'Refresh',
      'mv.rec.live': 'Recording',
      'mv.rec.none': 'No recordings',
      'mv.rec.pending': 'Each segment (about 10 s) shows here once stored.',
      'mv.rec.loading': 'Loading…',
      'mv.rec.playAll': 'Play all ({n} segments)',
      'mv.rec.play': 'Play',
      'mv.rec.start': 'Start',
      'mv.rec.len': 'Length',
      'mv.rec.size': 'Size',
      'mv.rec.snapshots': 'Snapshots ({n})',
      'mv.rec.reasonTitle': 'Reason for viewing',
      'mv.rec.audited': 'Every playback is written to the audit log (account, time, IP, reason).',
      'mv.rec.reasonHint': 'e.g. reviewing the alarm',
      'mv.rec.reasonNeeded': 'Give a reason for viewing.',
      'mv.rec.r.review': 'Reviewing the alarm',
      'mv.rec.r.evidence': 'Collecting evidence',
      'mv.rec.r.supervise': 'Supervisory check',
      'mv.rec.cancel': 'Cancel',
      'mv.rec.confirm': 'Play',
      'mv.rec.nowPlaying': 'Playing {i}/{n} (#{seq}, {at})',
      'error.reason_required': 'Give a reason for viewing.',
      'error.recording_not_found': 'No recording found.',
      'error.not_in_alarm': 'You are not in this alarm\'s media.',
      'error.no_media': 'This alarm has no live media (text and SMS alarms need a video link first).',
      'error.phone_required': 'The alarm has no caller phone number.',
    },
  },
};

// The functions on the citizen app's home screen (DESIGN §2), in the words
// of the Hebei "公安110" app. The shell owns this list and the layout; each
// function's screens belong to its feature module (features.js). Until a
// feature registers a route that matches a function's `route`, the shell
// shows a plain "not available yet" screen there.

import { addStrings } from '../shared/i18n.js';

export const FUNCTIONS = [
  // Internet alarms: the big buttons.
  { id: 'video', group: 'alarm', route: '/alarm/video', icon: 'video', tone: 'red' },
  { id: 'silent', group: 'alarm', route: '/alarm/silent', icon: 'silent', tone: 'navy' },
  { id: 'voice', group: 'alarm', route: '/alarm/voice', icon: 'voice', tone: 'blue' },
  { id: 'text', group: 'alarm', route: '/alarm/text', icon: 'text', tone: 'teal' },
  // Services.
  { id: 'guardian', group: 'service', route: '/guardian', icon: 'guardian' },
  { id: 'missing', group: 'service', route: '/missing', icon: 'missing', public: true },
  { id: 'tips', group: 'service', route: '/tips', icon: 'tip' },
  { id: 'rewards', group: 'service', route: '/rewards', icon: 'reward', public: true },
];

addStrings({
  'zh-CN': {
    'fn.video': '视频报警',
    'fn.video.sub': '视频对话和文字沟通',
    'fn.video.desc': '由您当前所在地的110指挥中心受理。接通后，可以通过摄像头向110接警员传送现场情况，并可以和接警员进行视频对话和文字沟通。',
    'fn.silent': '静默报警',
    'fn.silent.sub': '没有声音，视频和文字说明警情',
    'fn.silent.desc': '处在危险境况、不方便语音报警时使用。和视频报警一样，只是没有声音，通过视频和文字向110说明警情。',
    'fn.voice': '语音报警',
    'fn.voice.sub': '语音对话，准确定位',
    'fn.voice.desc': '接通后可以和接警员进行语音对话，公安机关可以对报警人进行精准定位，方便快速出警。',
    'fn.text': '文字报警',
    'fn.text.sub': '文字与接警员沟通',
    'fn.text.desc': '通过文字与110接警员沟通，并发送您的位置。',
    'fn.guardian': '亲友互助',
    'fn.guardian.desc': '出行时选择一个或多个守护人，向守护人发送行动轨迹、照片、视频和语音，一旦发现危险，守护人可帮助报警。公安机关不实时查看。',
    'fn.missing': '寻人启事',
    'fn.missing.desc': '家庭成员或近亲属失踪，经公安机关受理后，可在此填报寻人信息；指挥中心核实后发布，全省用户都能看到并帮助查找。',
    'fn.tips': '线索举报',
    'fn.tips.desc': '发现涉黑涉恶、涉枪、涉爆炸物、涉黄涉赌、环境污染、吸毒或制贩毒、知识产权、外国人三非等线索，可以向公安机关举报。',
    'fn.rewards': '悬赏任务',
    'fn.rewards.desc': '公安机关发布的悬赏通告，您可以提供线索。',
  },
  en: {
    'fn.video': 'Video alarm',
    'fn.video.sub': 'Live video and chat',
    'fn.video.desc': 'Answered by the 110 command centre where you are. Show the scene through your camera and talk to the dispatcher by video and text.',
    'fn.silent': 'Silent alarm',
    'fn.silent.sub': 'No sound: video and text only',
    'fn.silent.desc': 'For when you are in danger and cannot speak. Like a video alarm, but without sound: explain by video and text.',
    'fn.voice': 'Voice alarm',
    'fn.voice.sub': 'Talk, with precise location',
    'fn.voice.desc': 'Talk to the dispatcher while the police see your precise position, so officers can find you fast.',
    'fn.text': 'Text alarm',
    'fn.text.sub': 'Chat with the dispatcher',
    'fn.text.desc': 'Write to the 110 dispatcher and send your position.',
    'fn.guardian': 'Guardians',
    'fn.guardian.desc': 'On a trip, choose one or more guardians who see your track, photos, video and voice, and can raise an alarm for you. The police do not watch trips.',
    'fn.missing': 'Missing persons',
    'fn.missing.desc': 'Once the police have accepted a missing-person report, the family can submit the details here; the command centre verifies and publishes them to everyone in the province.',
    'fn.tips': 'Report a tip',
    'fn.tips.desc': 'Report organised crime, guns, explosives, vice and gambling, pollution, drugs, intellectual property or illegal foreign workers to the police.',
    'fn.rewards': 'Reward tasks',
    'fn.rewards.desc': 'Reward notices published by the police: send what you know.',
  },
});

// The console's default navigation. Each entry is shown until a feature
// registers a route matching its `route`; until then the shell shows a
// placeholder. A feature may also override an entry (same id) or add its
// own through its module's `nav` list.

import { h, icon } from '../shared/ui.js';
import { t, addStrings } from '../shared/i18n.js';

const SUPERVISORS = ['supervisor', 'admin'];

export const NAV = [
  { id: 'queue', label: 'nav.queue', icon: 'queue', route: '/queue', order: 10 },
  { id: 'missing', label: 'nav.missing', icon: 'missing', route: '/missing', order: 30 },
  { id: 'tips', label: 'nav.tips', icon: 'tip', route: '/tips', order: 40 },
  { id: 'rewards', label: 'nav.rewards', icon: 'reward', route: '/rewards', order: 50 },
  { id: 'stats', label: 'nav.stats', icon: 'chart', route: '/stats', order: 80, roles: SUPERVISORS },
  { id: 'audit', label: 'nav.audit', icon: 'audit', route: '/audit', order: 90, roles: SUPERVISORS },
];

addStrings({
  'zh-CN': {
    'nav.queue': '警情队列',
    'nav.missing': '寻人启事',
    'nav.tips': '线索举报',
    'nav.rewards': '悬赏任务',
    'nav.stats': '统计',
    'nav.audit': '审计日志',
    'queue.title': '警情队列',
    'queue.empty': '暂无排队警情',
    'queue.pending': '网络报警接警功能尚未接入，新警情将显示在这里。',
    'placeholder.text': '此功能暂未开放。',
  },
  en: {
    'nav.queue': 'Alarm queue',
    'nav.missing': 'Missing persons',
    'nav.tips': 'Tips',
    'nav.rewards': 'Reward tasks',
    'nav.stats': 'Statistics',
    'nav.audit': 'Audit log',
    'queue.title': 'Alarm queue',
    'queue.empty': 'No alarms waiting',
    'queue.pending': 'Internet alarms are not connected yet; new alarms will appear here.',
    'placeholder.text': 'This function is not available yet.',
  },
});

/** The screen for a navigation entry no feature has built yet. */
export function placeholder(n) {
  if (n.id === 'queue') {
    return h('section', { class: 'panel' },
      h('header', { class: 'panel-hdr' }, h('h1', null, t('queue.title'))),
      h('div', { class: 'empty', 'data-testid': 'queue-empty' }, icon('queue', { size: 40 }),
        h('p', { class: 'empty-title' }, t('queue.empty')), h('p', { class: 'muted' }, t('queue.pending'))));
  }
  return h('section', { class: 'panel' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t(n.label))),
    h('div', { class: 'empty' }, icon(n.icon || 'info', { size: 40 }), h('p', { class: 'empty-title' }, t('placeholder.text'))));
}

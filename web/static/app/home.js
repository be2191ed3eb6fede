// The home screen: the internet alarms as four big buttons, the services
// below, then the always-working call bar (拨打110, 拨打122, 短信报警).

import { h, icon, emergencyBar } from '../shared/ui.js';
import { t, addStrings } from '../shared/i18n.js';
import { FUNCTIONS } from './functions.js';

addStrings({
  'zh-CN': {
    'home.alarms': '网络报警',
    'home.services': '便民服务',
    'home.calls': '电话和短信报警',
    'home.fallback': '无法接通网络报警时，请直接拨打110或发送短信至12110。',
    'home.location': '仅在报警、线索举报和亲友互助时使用您的位置。',
  },
  en: {
    'home.alarms': 'Internet alarm',
    'home.services': 'Services',
    'home.calls': 'Call or text',
    'home.fallback': 'If an internet alarm cannot connect, call 110 or text 12110.',
    'home.location': 'Your position is used only during an alarm, a tip or a guarded trip.',
  },
});

/** renderHome(ctx, { features, badges }) → the home screen body (the shell adds the top bar). */
export function renderHome(ctx, { features, badges }) {
  const tile = (f) => {
    const n = badges.get(f.id);
    return h('a', { class: ['tile', f.group === 'alarm' ? 'tile-alarm tone-' + f.tone : 'tile-service'], href: '#' + f.route, 'data-fn': f.id },
      h('span', { class: 'tile-icon' }, icon(f.icon, { size: f.group === 'alarm' ? 34 : 28 })),
      h('span', { class: 'tile-label' }, t('fn.' + f.id)),
      f.group === 'alarm' ? h('span', { class: 'tile-sub' }, t('fn.' + f.id + '.sub')) : null,
      n ? h('span', { class: 'badge', 'aria-label': String(n) }, n > 99 ? '99+' : String(n)) : null);
  };
  const cards = [];
  for (const f of features) {
    if (typeof f.home !== 'function') continue;
    try {
      const node = f.home(ctx);
      if (node) cards.push(node);
    } catch (e) {
      console.error('home card of', f.id, e);
    }
  }
  return h('div', { class: 'home' },
    h('section', { class: 'home-section', 'aria-labelledby': 'h-alarms' },
      h('h2', { id: 'h-alarms', class: 'section-title' }, t('home.alarms')),
      h('div', { class: 'grid-alarms' }, FUNCTIONS.filter((f) => f.group === 'alarm').map(tile))),
    h('section', { class: 'home-section', 'aria-labelledby': 'h-services' },
      h('h2', { id: 'h-services', class: 'section-title' }, t('home.services')),
      h('div', { class: 'grid-services' }, FUNCTIONS.filter((f) => f.group === 'service').map(tile))),
    h('section', { class: 'home-section', 'aria-labelledby': 'h-calls' },
      h('h2', { id: 'h-calls', class: 'section-title' }, t('home.calls')),
      emergencyBar(),
      h('p', { class: 'note' }, icon('info', { size: 16 }), h('span', null, t('home.fallback')))),
    cards.length ? h('section', { class: 'home-section home-cards' }, cards) : null,
    h('p', { class: 'note privacy' }, icon('pin', { size: 16 }), h('span', null, t('home.location'))));
}

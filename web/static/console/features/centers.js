// 指挥中心: the province's command centres (GET /api/v1/centers), for
// supervisors and admins. A small but complete example of a console
// feature module (see web/README.md).

import { h, errorText } from '../../shared/ui.js';
import { t } from '../../shared/i18n.js';
import { api } from '../../shared/api.js';

const LEVELS = ['province', 'city', 'county'];

async function render(ctx) {
  let list;
  try {
    list = (await api.get('/api/v1/centers', { signal: ctx.signal })).centers || [];
  } catch (e) {
    return h('section', { class: 'panel' }, h('header', { class: 'panel-hdr' }, h('h1', null, t('centers.title'))), h('p', { class: 'form-msg' }, errorText(e)));
  }
  const active = list.filter((c) => c.active);
  const byCode = new Map(list.map((c) => [c.code, c]));
  const counts = Object.fromEntries(LEVELS.map((l) => [l, active.filter((c) => c.level === l).length]));
  return h('section', { class: 'panel' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('centers.title')),
      h('p', { class: 'muted' }, t('centers.summary', { n: active.length, city: counts.city, county: counts.county }))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, t('centers.code')), h('th', null, t('centers.name')), h('th', null, t('centers.level')), h('th', null, t('centers.parent')), h('th', null, t('centers.phone')))),
      h('tbody', null, active.map((c) => h('tr', { class: c.code === ctx.shell.me()?.center?.code ? 'mine' : null },
        h('td', { class: 'mono' }, c.code), h('td', null, c.name), h('td', null, t('centers.level.' + c.level)), h('td', null, byCode.get(c.parent)?.name || '—'), h('td', { class: 'mono' }, c.phone || '—')))))));
}

export default {
  id: 'centers',
  strings: {
    'zh-CN': {
      'centers.nav': '指挥中心',
      'centers.title': '全省110指挥中心',
      'centers.summary': '共 {n} 个指挥中心（设区市 {city} 个，县级 {county} 个）',
      'centers.code': '代码',
      'centers.name': '名称',
      'centers.level': '级别',
      'centers.phone': '电话',
      'centers.parent': '上级指挥中心',
      'centers.level.province': '省级',
      'centers.level.city': '市级',
      'centers.level.county': '县级',
    },
    en: {
      'centers.nav': 'Command centres',
      'centers.title': 'Command centres in the province',
      'centers.summary': '{n} command centres ({city} city, {county} county)',
      'centers.code': 'Code',
      'centers.name': 'Name',
      'centers.level': 'Level',
      'centers.phone': 'Phone',
      'centers.parent': 'Parent centre',
      'centers.level.province': 'Province',
      'centers.level.city': 'City',
      'centers.level.county': 'County',
    },
  },
  nav: [{ id: 'centers', label: 'centers.nav', icon: 'map', route: '/centers', order: 70, roles: ['supervisor', 'admin'] }],
  routes: {
    '/centers': { render, roles: ['supervisor', 'admin'] },
  },
};

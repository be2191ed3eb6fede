// /guardian/access — every police read of my trip data: who, when, from
// which IP, under which alarm (the audit log, as the traveller sees it).

import { h, screen, mount, icon, emergencyBar, errorText } from '../../../shared/ui.js';
import { t, fmtDateTime } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';

export async function renderAccess(ctx) {
  const list = h('div', { 'data-testid': 'gd-access-list' }, h('p', { class: 'muted' }, t('common.loading')));
  api.get('/api/v1/trips/access-log', { signal: ctx.signal }).then((r) => {
    const as = (r.accesses || []).slice().reverse();
    if (!as.length) {
      mount(list, h('p', { class: 'gd-empty', 'data-testid': 'gd-access-none' }, t('gd.accessNone')));
      return;
    }
    mount(list, h('ol', { class: 'gd-access' }, as.map((a) => h('li', { 'data-testid': 'gd-access-item', 'data-alarm': a.alarm_id },
      h('p', null, icon('audit', { size: 18 }), h('b', null, fmtDateTime(a.at))),
      h('p', null, t('gd.accessWho', { who: String(a.officer || '').replace(/^officer:/, '') }), ' ',
        t(a.action === 'trip.police.media' ? 'gd.access.media' : 'gd.access.read')),
      h('p', { class: 'muted small' }, t('gd.accessAlarm', { id: a.alarm_id }), a.ip ? ' · ' + t('gd.accessIP', { ip: a.ip }) : '')))));
  }).catch((e) => {
    if (!ctx.signal.aborted) mount(list, h('p', { class: 'form-msg' }, errorText(e)));
  });
  return screen({ title: t('gd.access'), back: '/guardian', class: 'gd' },
    h('p', { class: 'gd-intro' }, t('gd.accessIntro')),
    list,
    emergencyBar({ compact: true }));
}

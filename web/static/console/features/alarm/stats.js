// 接警时效 (supervisors, admins): every centre of the area side by side —
// queue now, answer time p50/p90/p95, share answered within 10/15/20 s
// against NENA's 90% ≤ 15 s and 95% ≤ 20 s lines (and NFPA's 90% ≤ 10 s),
// abandoned share — and one centre's dispatchers. The day's charts are the
// admin module's dashboard (#/stats); this screen links to it.

import { h, mount, errorText } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { loadCSS } from './common.js';

const WINDOWS = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };

const pct = (v) => (Math.round(v * 1000) / 10).toFixed(1) + '%';
const secs = (v) => (Math.round(v * 10) / 10).toFixed(1) + ' s';

/** A share cell coloured against its target (null: no target). */
function share(st, key, target) {
  if (!st.answered) return h('td', { class: 'mono muted' }, '—');
  const v = st.within[key];
  const cls = target == null ? null : v >= target ? 'ok' : 'bad';
  return h('td', { class: ['mono', 'al-share', cls], 'data-share': key }, pct(v));
}

function answerCells(st) {
  const at = st.answer_time_s;
  return [
    h('td', { class: 'mono' }, String(st.answered)),
    h('td', { class: 'mono' }, st.answered ? secs(at.p50) : '—'),
    h('td', { class: 'mono' }, st.answered ? secs(at.p90) : '—'),
    h('td', { class: 'mono' }, st.answered ? secs(at.p95) : '—'),
    share(st, '10s', 0.9),
    share(st, '15s', 0.9),
    share(st, '20s', 0.95),
  ];
}

const answerHead = () => [t('al.st.answered'), 'p50', 'p90', 'p95', t('al.st.w10'), t('al.st.w15'), t('al.st.w20')];

export async function renderStats(ctx) {
  loadCSS();
  const win = WINDOWS[ctx.query.window] ? ctx.query.window : '24h';
  const to = new Date();
  const from = new Date(to.getTime() - WINDOWS[win]);
  const query = { from: from.toISOString().replace(/\.\d+Z$/, 'Z'), to: to.toISOString().replace(/\.\d+Z$/, 'Z') };
  const sel = ctx.query.center || '';
  const body = h('div', { class: 'panel-body' }, t('common.loading'));
  const detail = h('div', { style: 'margin-top: 16px' });
  const go = (w, c) => ctx.shell.navigate(`/alarm-stats?window=${w}${c ? '&center=' + c : ''}`);

  (async () => {
    let res;
    try {
      res = await api.get('/api/v1/stats/alarms/centers', { query, signal: ctx.signal });
    } catch (e) {
      if (!ctx.signal.aborted) mount(body, h('p', { class: 'form-msg' }, errorText(e)));
      return;
    }
    const rows = res.centers || [];
    if (!rows.length) {
      mount(body, h('p', { class: 'muted', 'data-testid': 'stats-empty' }, t('al.st.none')));
      return;
    }
    mount(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table al-stats', 'data-testid': 'center-stats' },
      h('thead', null, h('tr', null, h('th', null, t('al.st.center')), h('th', null, t('al.st.queue')), h('th', null, t('al.st.raised')),
        answerHead().map((x) => h('th', null, x)), h('th', null, t('al.st.abandoned')), h('th', null, ''))),
      h('tbody', null, rows.map((st) => h('tr', { 'data-center': st.center.code, class: st.center.code === sel ? 'mine' : null },
        h('td', null, st.center.name, h('div', { class: 'muted mono small' }, st.center.code)),
        h('td', { class: ['mono', st.queue_length ? 'al-busy' : null] }, String(st.queue_length)),
        h('td', { class: 'mono' }, String(st.raised)),
        answerCells(st),
        h('td', { class: ['mono', st.abandoned_share > 0.05 ? 'bad' : null] }, st.raised ? pct(st.abandoned_share) + ` (${st.abandoned})` : '—'),
        h('td', null, h('button', { type: 'button', class: 'btn', 'data-action': 'dispatchers', onclick: () => go(win, st.center.code) }, t('al.st.perDispatcher')))))))));
  })();

  if (sel) {
    (async () => {
      mount(detail, h('p', { class: 'panel-body' }, t('common.loading')));
      try {
        const st = await api.get('/api/v1/stats/alarms', { query: { ...query, center: sel }, signal: ctx.signal });
        const ds = st.dispatchers || [];
        mount(detail, h('section', { class: 'panel', 'data-testid': 'dispatcher-stats' },
          h('header', { class: 'panel-hdr' }, h('h1', null, t('al.st.dispatchersOf', { name: st.center.name })),
            h('a', { href: `#/stats?center=${sel}` }, t('al.st.dashboard'))),
          ds.length
            ? h('div', { class: 'table-wrap' }, h('table', { class: 'table al-stats' },
              h('thead', null, h('tr', null, h('th', null, t('al.st.dispatcher')), answerHead().map((x) => h('th', null, x)))),
              h('tbody', null, ds.map((d) => h('tr', { 'data-dispatcher': d.username }, h('td', { class: 'mono' }, d.username), answerCells(d))))))
            : h('p', { class: 'panel-body muted' }, t('al.st.none'))));
      } catch (e) {
        if (!ctx.signal.aborted) mount(detail, h('p', { class: 'form-msg panel-body' }, errorText(e)));
      }
    })();
  }

  return h('div', null,
    h('section', { class: 'panel', 'data-testid': 'alarm-stats' },
      h('header', { class: 'panel-hdr' }, h('h1', null, t('al.st.title')),
        h('div', { class: 'al-seg', role: 'group' }, Object.keys(WINDOWS).map((w) =>
          h('button', { type: 'button', class: ['al-seg-btn', w === win && 'active'], 'data-window': w, onclick: () => go(w, sel) }, t('al.st.win.' + w)))),
        h('span', { class: 'al-spacer' }),
        h('a', { href: '#/stats', 'data-action': 'dashboard' }, t('al.st.dashboard'))),
      h('p', { class: 'panel-body muted small' }, t('al.st.targets')),
      body),
    detail);
}

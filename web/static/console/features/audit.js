// 审计日志 (supervisors, admins): filter by actor, object, action, subject
// and time; page through; export CSV or JSON; verify the hash chain (the
// same check as `open110 audit verify`).

import { h, mount, errorText, field } from '../../shared/ui.js';
import { t, fmtDateTime } from '../../shared/i18n.js';
import { api } from '../../shared/api.js';
import { loadCSS, download } from './admin/util.js';

const FIELDS = ['actor', 'action', 'object', 'subject'];

// datetime-local (Beijing time) ↔ RFC 3339.
function toRFC(local) {
  return local ? new Date(local + ':00+08:00').toISOString() : '';
}

async function render(ctx) {
  loadCSS();
  const q = ctx.query;
  const inputs = Object.fromEntries(FIELDS.map((k) => [k, h('input', { class: 'input', name: k, value: q[k] || '', placeholder: t('audit.ph.' + k), spellcheck: false })]));
  const from = h('input', { class: 'input', type: 'datetime-local', name: 'from', value: q.from_local || '' });
  const to = h('input', { class: 'input', type: 'datetime-local', name: 'to', value: q.to_local || '' });
  const filter = () => {
    const f = {};
    for (const k of FIELDS) if (inputs[k].value.trim()) f[k] = inputs[k].value.trim();
    if (from.value) f.from = toRFC(from.value);
    if (to.value) f.to = toRFC(to.value);
    return f;
  };
  const apply = (e) => {
    e?.preventDefault();
    const p = new URLSearchParams();
    for (const k of FIELDS) if (inputs[k].value.trim()) p.set(k, inputs[k].value.trim());
    if (from.value) p.set('from_local', from.value);
    if (to.value) p.set('to_local', to.value);
    ctx.shell.navigate('/audit' + (p.toString() ? '?' + p : ''));
  };
  const verifyOut = h('div', { class: 'adm-verify', role: 'status', 'data-testid': 'verify-result' });
  const verify = async () => {
    verifyOut.className = 'adm-verify';
    verifyOut.textContent = t('audit.verifying');
    try {
      const { result: r } = await api.get('/api/v1/audit/verify', { timeoutMs: 120000 });
      verifyOut.className = 'adm-verify ' + (r.ok ? 'ok' : 'bad');
      verifyOut.textContent = r.ok ? t('audit.verifyOK', { n: r.entries, hash: r.head_hash.slice(0, 16) })
        : t('audit.verifyBad', { seq: r.bad_seq, problem: r.problem });
    } catch (e) {
      verifyOut.className = 'adm-verify bad';
      verifyOut.textContent = errorText(e);
    }
  };
  const exp = (format) => download('/api/v1/audit/export', { ...filter(), format }, 'audit.' + format).catch((e) => ctx.shell.toast(errorText(e), 'error'));

  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn secondary', hidden: true }, t('audit.more'));
  const status = h('p', { class: 'muted panel-body' }, t('common.loading'));
  let after = 0;
  let shown = 0;
  const load = async () => {
    more.disabled = true;
    try {
      const res = await api.get('/api/v1/audit', { query: { ...filter(), after, limit: 200 }, signal: ctx.signal });
      for (const e of res.entries) {
        tbody.appendChild(h('tr', { 'data-seq': e.seq },
          h('td', { class: 'mono' }, e.seq), h('td', null, fmtDateTime(e.at)), h('td', { class: 'mono' }, e.actor),
          h('td', { class: 'mono' }, e.action), h('td', { class: 'mono' }, e.object), h('td', { class: 'mono' }, e.subject || ''),
          h('td', { class: 'mono' }, e.request_ip || '', e.actor_ip && e.actor_ip !== e.request_ip ? h('div', { class: 'adm-detail' }, t('audit.signinIP') + e.actor_ip) : null),
          h('td', null, e.reason || '', e.detail ? h('div', { class: 'adm-detail' }, JSON.stringify(e.detail)) : null)));
      }
      shown += res.entries.length;
      after = res.next_after;
      more.hidden = !after;
      status.textContent = t('audit.shown', { n: shown });
    } catch (e) {
      status.textContent = errorText(e);
    }
    more.disabled = false;
  };
  more.addEventListener('click', load);
  load();

  return h('section', { class: 'panel', 'data-testid': 'audit' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('audit.title')), h('p', { class: 'muted' }, t('audit.sub'))),
    h('form', { class: 'adm-toolbar', onsubmit: apply, noValidate: true },
      FIELDS.map((k) => field(t('audit.f.' + k), inputs[k])),
      field(t('audit.f.from'), from), field(t('audit.f.to'), to),
      h('button', { type: 'submit', class: 'btn primary' }, t('audit.filter')),
      h('button', { type: 'button', class: 'btn secondary', 'data-action': 'export-csv', onclick: () => exp('csv') }, t('audit.exportCSV')),
      h('button', { type: 'button', class: 'btn secondary', 'data-action': 'export-json', onclick: () => exp('json') }, t('audit.exportJSON')),
      h('button', { type: 'button', class: 'btn secondary', 'data-action': 'verify', onclick: verify }, t('audit.verify'))),
    verifyOut,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, ['seq', 'at', 'actor', 'action', 'object', 'subject', 'ip', 'detail'].map((k) => h('th', null, t('audit.col.' + k))))),
      tbody)),
    h('div', { class: 'adm-toolbar' }, more, status));
}

export default {
  id: 'audit',
  strings: {
    'zh-CN': {
      'audit.title': '审计日志',
      'audit.sub': '只可追加、哈希链防篡改；查看导出也会记入日志',
      'audit.f.actor': '操作人',
      'audit.f.action': '动作',
      'audit.f.object': '对象',
      'audit.f.subject': '数据主体',
      'audit.f.from': '开始（北京时间）',
      'audit.f.to': '结束（北京时间）',
      'audit.ph.actor': 'officer:d130102',
      'audit.ph.action': 'profile.* 或 auth.login',
      'audit.ph.object': 'alarm:…',
      'audit.ph.subject': 'citizen:…',
      'audit.filter': '查询',
      'audit.exportCSV': '导出 CSV',
      'audit.exportJSON': '导出 JSON',
      'audit.verify': '校验哈希链',
      'audit.verifying': '正在校验全部日志…',
      'audit.verifyOK': '✓ 哈希链完整：共 {n} 条，末条哈希 {hash}…',
      'audit.verifyBad': '✗ 第 {seq} 条起哈希链断裂：{problem}',
      'audit.more': '加载更多',
      'audit.shown': '已显示 {n} 条',
      'audit.signinIP': '登录IP ',
      'audit.col.seq': '序号',
      'audit.col.at': '时间',
      'audit.col.actor': '操作人',
      'audit.col.action': '动作',
      'audit.col.object': '对象',
      'audit.col.subject': '数据主体',
      'audit.col.ip': 'IP',
      'audit.col.detail': '原因/详情',
      'error.invalid_filter': '查询条件有误。',
    },
    en: {
      'audit.title': 'Audit log',
      'audit.sub': 'Append-only and hash-chained; viewing exports is logged too',
      'audit.f.actor': 'Actor',
      'audit.f.action': 'Action',
      'audit.f.object': 'Object',
      'audit.f.subject': 'Data subject',
      'audit.f.from': 'From (Beijing time)',
      'audit.f.to': 'To (Beijing time)',
      'audit.ph.actor': 'officer:d130102',
      'audit.ph.action': 'profile.* or auth.login',
      'audit.ph.object': 'alarm:…',
      'audit.ph.subject': 'citizen:…',
      'audit.filter': 'Search',
      'audit.exportCSV': 'Export CSV',
      'audit.exportJSON': 'Export JSON',
      'audit.verify': 'Verify chain',
      'audit.verifying': 'Verifying the whole log…',
      'audit.verifyOK': '✓ Chain intact: {n} entries, head {hash}…',
      'audit.verifyBad': '✗ Chain broken at entry {seq}: {problem}',
      'audit.more': 'Load more',
      'audit.shown': '{n} entries shown',
      'audit.signinIP': 'sign-in IP ',
      'audit.col.seq': 'Seq',
      'audit.col.at': 'Time',
      'audit.col.actor': 'Actor',
      'audit.col.action': 'Action',
      'audit.col.object': 'Object',
      'audit.col.subject': 'Subject',
      'audit.col.ip': 'IP',
      'audit.col.detail': 'Reason / detail',
      'error.invalid_filter': 'The filter is invalid.',
    },
  },
  routes: {
    '/audit': { render, roles: ['supervisor', 'admin'] },
  },
};

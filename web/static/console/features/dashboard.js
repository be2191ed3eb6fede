// 统计 · 今日态势 (supervisors, admins): the day's picture of a centre's
// area as SVG charts — answer times against the 15 s / 20 s lines, alarms
// per hour, queue length over time, abandoned share, dispatcher load and a
// map of where alarms came from on our own unit outlines. Each chart
// downloads as CSV.

import { h, mount, errorText, field } from '../../shared/ui.js';
import { t, lang, fmtTime } from '../../shared/i18n.js';
import { api } from '../../shared/api.js';
import { loadCSS, download } from './admin/util.js';
import { bars, stepLine, donut, hbars, outlineMap } from './admin/charts.js';

const C = { blue: '#0b3d91', red: '#c4161c', green: '#1b7a3a', amber: '#a15c00', grey: '#9aa3b2', teal: '#0b6e69' };

function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
}

const pct = (v) => (Math.round(v * 1000) / 10) + '%';

async function render(ctx) {
  loadCSS();
  const me = ctx.shell.me();
  const center = ctx.query.center || me.center.code;
  const date = ctx.query.date || today();
  const centerIn = h('input', { class: 'input', name: 'center', value: center, maxlength: '6', inputmode: 'numeric' });
  const dateIn = h('input', { class: 'input', type: 'date', name: 'date', value: date });
  const body = h('div', { class: 'panel-body' }, t('common.loading'));
  const panel = h('section', { class: 'panel', 'data-testid': 'dashboard' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('dash.title')), h('p', { class: 'muted' }, t('dash.sub'))),
    h('form', { class: 'adm-toolbar', noValidate: true, onsubmit: (e) => {
      e.preventDefault();
      ctx.shell.navigate(`/stats?center=${encodeURIComponent(centerIn.value.trim())}&date=${dateIn.value}`);
    } }, field(t('dash.center'), centerIn), field(t('dash.date'), dateIn), h('button', { type: 'submit', class: 'btn primary' }, t('dash.show'))),
    body);
  load(ctx, body, center, date);
  // Refresh each minute while today is shown.
  if (date === today()) {
    const timer = setInterval(() => load(ctx, body, center, date, true), 60000);
    ctx.onLeave(() => clearInterval(timer));
  }
  return panel;
}

async function load(ctx, body, center, date, quiet) {
  let d;
  try {
    d = await api.get('/api/v1/dashboard', { query: { center, date }, signal: ctx.signal });
  } catch (e) {
    if (!quiet) mount(body, h('p', { class: 'form-msg' }, errorText(e)));
    return;
  }
  const csv = (chart) => h('button', { type: 'button', class: 'csv', 'data-csv': chart, onclick: () =>
    download('/api/v1/dashboard/' + chart + '.csv', { center, date }, chart + '.csv').catch((e) => ctx.shell.toast(errorText(e), 'error')) }, 'CSV');
  const card = (id, title, svg, legend, note) => h('article', { class: 'dash-chart', 'data-chart': id },
    h('header', null, h('h2', null, title), csv(id)), svg,
    legend ? h('div', { class: 'dash-legend' }, legend.map(([c, l]) => h('span', null, h('i', { style: 'background:' + c }), l))) : null,
    note ? h('p', { class: 'muted', style: 'font-size:13px' }, note) : null);

  const at = d.answer_times;
  const kpi = (label, value, cls) => h('div', { class: ['dash-kpi', cls] }, h('b', null, value), h('span', null, label));
  const kpis = h('div', { class: 'dash-kpis' },
    kpi(t('dash.kpi.raised'), d.raised),
    kpi(t('dash.kpi.answered'), d.answered),
    kpi(t('dash.kpi.within15'), d.answered ? pct(at.within['15s']) : '—', d.answered ? (at.within['15s'] >= 0.9 ? 'good' : 'bad') : null),
    kpi(t('dash.kpi.within20'), d.answered ? pct(at.within['20s']) : '—', d.answered ? (at.within['20s'] >= 0.95 ? 'good' : 'bad') : null),
    kpi(t('dash.kpi.p90'), d.answered ? at.p90_s + ' s' : '—'),
    kpi(t('dash.kpi.abandoned'), d.raised ? pct(d.abandoned.share) : '—', d.abandoned.share > 0.05 ? 'bad' : null));

  // Answer times against the 15 s and 20 s lines (bucket edges 5,10,15,20,…).
  const bl = at.buckets.map((b) => (b.to_s ? `${b.from_s}–${b.to_s}` : `≥${b.from_s}`));
  const idx = (edge) => at.buckets.findIndex((b) => b.from_s === edge);
  const answer = bars({ labels: bl, series: [{ values: at.buckets.map((b) => b.count), color: C.blue, label: t('dash.answers') }],
    marks: [{ at: idx(15), text: t('dash.line15'), color: C.amber }, { at: idx(20), text: t('dash.line20'), color: C.red, row: 1 }], title: t('dash.answerTimes') });

  const hours = d.per_hour;
  const perHour = bars({ labels: hours.map((x) => String(x.hour)), labelEvery: 2, title: t('dash.perHour'),
    series: [
      { values: hours.map((x) => x.answered), color: C.blue, label: t('dash.answered') },
      { values: hours.map((x) => x.abandoned), color: C.red, label: t('dash.abandonedL') },
      { values: hours.map((x) => Math.max(0, x.raised - x.answered - x.abandoned)), color: C.grey, label: t('dash.other') },
    ] });

  const from = Date.parse(d.from);
  const queue = stepLine({ points: d.queue.map((q) => ({ x: Date.parse(q.at), y: q.length })), from, to: from + 24 * 3600e3,
    fmtX: (x) => fmtTime(x).slice(0, 5), title: t('dash.queue') });

  const ab = d.abandoned;
  const share = donut({ title: t('dash.abandoned'), center: d.raised ? pct(ab.share) : '—', sub: t('dash.abandonedOf', { a: ab.abandoned, n: ab.raised }),
    parts: [
      { value: ab.abandoned, color: C.red, label: t('dash.abandonedL') },
      { value: ab.cancelled, color: C.amber, label: t('dash.cancelled') },
      { value: d.answered, color: C.blue, label: t('dash.answered') },
      { value: Math.max(0, ab.raised - ab.abandoned - ab.cancelled - d.answered), color: C.grey, label: t('dash.other') },
    ] });

  const load_ = d.dispatchers.length ? hbars({ title: t('dash.dispatchers'), rows: d.dispatchers.map((x) => ({ label: x.username, value: x.answered, note: `p50 ${x.p50_s}s · ${t('dash.busy', { m: x.busy_min })}` })) })
    : h('p', { class: 'muted' }, t('dash.none'));

  const grid = h('div', { class: 'dash-grid' },
    card('answer_times', t('dash.answerTimes'), answer, [[C.blue, t('dash.answers')], [C.amber, t('dash.line15')], [C.red, t('dash.line20')]],
      d.answered ? t('dash.answerNote', { p50: at.p50_s, p90: at.p90_s, p95: at.p95_s, w15: pct(at.within['15s']), w20: pct(at.within['20s']) }) : t('dash.none')),
    card('per_hour', t('dash.perHour'), perHour, [[C.blue, t('dash.answered')], [C.red, t('dash.abandonedL')], [C.grey, t('dash.other')]]),
    card('queue', t('dash.queue'), queue, null, t('dash.queueNote')),
    card('abandoned', t('dash.abandoned'), share, [[C.red, t('dash.abandonedL')], [C.amber, t('dash.cancelled')], [C.blue, t('dash.answered')], [C.grey, t('dash.other')]]),
    card('dispatchers', t('dash.dispatchers'), load_),
    card('places', t('dash.places'), h('div', { 'data-map': '1' }, t('common.loading')), null, t('dash.placesNote', { n: d.points.length })));
  mount(body, kpis, grid);
  drawMap(ctx, grid.querySelector('[data-map]'), d);
}

async function drawMap(ctx, el, d) {
  // The area's outlines in one request: the centre's unit and its children
  // (a city's counties; the province's cities).
  let fc;
  try {
    fc = await api.get('/api/v1/jurisdictions/' + d.center + '/boundary', { query: { children: 1, zoom: 8 }, signal: ctx.signal });
  } catch (e) {
    mount(el, h('p', { class: 'form-msg' }, errorText(e)));
    return;
  }
  let features = fc.features.filter((f) => f.properties.code !== d.center);
  if (!features.length) features = fc.features;
  const counts = {};
  const codes = new Set(features.map((f) => f.properties.code));
  for (const p of d.places) {
    // A county's count goes to itself, or to its city on the province map.
    const key = codes.has(p.code) ? p.code : p.code.slice(0, 4) + '00';
    counts[key] = (counts[key] || 0) + p.count;
  }
  const nameOf = (pr) => (lang() === 'en' ? pr.code : pr.name);
  mount(el, outlineMap({ features, counts, points: d.points, title: t('dash.places'), nameOf }));
}

export default {
  id: 'dashboard',
  strings: {
    'zh-CN': {
      'dash.title': '今日态势',
      'dash.sub': '按北京时间统计，每分钟刷新；每张图表可下载 CSV',
      'dash.center': '指挥中心代码',
      'dash.date': '日期',
      'dash.show': '查看',
      'dash.kpi.raised': '报警总数',
      'dash.kpi.answered': '已接警',
      'dash.kpi.within15': '15秒内接警（目标 90%）',
      'dash.kpi.within20': '20秒内接警（目标 95%）',
      'dash.kpi.p90': '90% 接警用时',
      'dash.kpi.abandoned': '放弃率',
      'dash.answerTimes': '接警用时分布（秒）',
      'dash.answers': '接警次数',
      'dash.line15': '15秒线',
      'dash.line20': '20秒线',
      'dash.answerNote': '中位 {p50} 秒，90% {p90} 秒，95% {p95} 秒；15秒内 {w15}，20秒内 {w20}（NENA：90% ≤ 15秒，95% ≤ 20秒）',
      'dash.perHour': '每小时报警量',
      'dash.answered': '已接警',
      'dash.abandonedL': '放弃',
      'dash.cancelled': '撤销',
      'dash.other': '其他/待接',
      'dash.queue': '排队长度',
      'dash.queueNote': '每10分钟一个点：已报警、尚未接警也未结束的警情数。',
      'dash.abandoned': '放弃占比',
      'dash.abandonedOf': '{a} / {n} 起',
      'dash.dispatchers': '接警员工作量',
      'dash.busy': '处置 {m} 分钟',
      'dash.places': '报警来源分布',
      'dash.placesNote': '颜色越深报警越多；红点为 {n} 起有定位的报警。',
      'dash.none': '今日暂无数据',
      'error.feature_unavailable': '此功能暂不可用。',
      'error.invalid_date': '日期格式应为 年-月-日。',
      'error.invalid_center': '没有该指挥中心。',
    },
    en: {
      'dash.title': 'Today at a glance',
      'dash.sub': 'Beijing time, refreshed every minute; each chart downloads as CSV',
      'dash.center': 'Centre code',
      'dash.date': 'Date',
      'dash.show': 'Show',
      'dash.kpi.raised': 'Alarms',
      'dash.kpi.answered': 'Answered',
      'dash.kpi.within15': 'Answered ≤ 15 s (target 90%)',
      'dash.kpi.within20': 'Answered ≤ 20 s (target 95%)',
      'dash.kpi.p90': '90th percentile answer',
      'dash.kpi.abandoned': 'Abandoned',
      'dash.answerTimes': 'Answer times (s)',
      'dash.answers': 'Answers',
      'dash.line15': '15 s line',
      'dash.line20': '20 s line',
      'dash.answerNote': 'Median {p50} s, 90% {p90} s, 95% {p95} s; ≤ 15 s {w15}, ≤ 20 s {w20} (NENA: 90% ≤ 15 s, 95% ≤ 20 s)',
      'dash.perHour': 'Alarms per hour',
      'dash.answered': 'Answered',
      'dash.abandonedL': 'Abandoned',
      'dash.cancelled': 'Cancelled',
      'dash.other': 'Other / waiting',
      'dash.queue': 'Queue length',
      'dash.queueNote': 'Every 10 minutes: alarms raised and neither answered nor ended.',
      'dash.abandoned': 'Abandoned share',
      'dash.abandonedOf': '{a} of {n}',
      'dash.dispatchers': 'Dispatcher load',
      'dash.busy': '{m} min handling',
      'dash.places': 'Where alarms came from',
      'dash.placesNote': 'Darker means more alarms; red dots are the {n} alarms with a position.',
      'dash.none': 'No data yet today',
      'error.feature_unavailable': 'Not available right now.',
      'error.invalid_date': 'Date must be YYYY-MM-DD.',
      'error.invalid_center': 'No such centre.',
    },
  },
  nav: [{ id: 'stats', label: 'nav.stats', icon: 'chart', route: '/stats', order: 80, roles: ['supervisor', 'admin'] }],
  routes: {
    '/stats': { render, roles: ['supervisor', 'admin'] },
  },
};

// 悬赏任务 in the console: the centre's reward tasks, publishing (with
// pictures), the clues of a task (audited), marking a clue rewarded, and
// closing a task.

import { h, field, errorText, toast } from '../../shared/ui.js';
import { t, fmtDateTime } from '../../shared/i18n.js';
import { api } from '../../shared/api.js';

const ROLES = ['handler', 'supervisor'];

function panel(title, ...body) {
  return h('section', { class: 'panel' }, h('header', { class: 'panel-hdr' }, h('h1', null, title)), h('div', { class: 'panel-body' }, body));
}

async function renderList(ctx) {
  let tasks = [];
  let err = null;
  try {
    tasks = (await api.get('/api/v1/rewards', { query: { all: 1 }, signal: ctx.signal })).tasks || [];
  } catch (e) {
    err = e;
  }
  const title = h('input', { class: 'input', name: 'title', maxlength: '100', 'data-testid': 'rw-title' });
  const desc = h('textarea', { class: 'input', name: 'description', rows: 4, maxlength: '4000' });
  const amount = h('input', { class: 'input', name: 'amount', type: 'number', min: '1', value: '1000' });
  const area = h('input', { class: 'input', name: 'area', maxlength: '200' });
  const days = h('input', { class: 'input', name: 'days', type: 'number', min: '1', max: '730', value: '30' });
  // Police publish their own pictures (a poster, a photo of a suspect): a file picker is right here.
  const pics = h('input', { type: 'file', name: 'pictures', accept: 'image/jpeg,image/png,image/webp', multiple: true });
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  async function publish(ev) {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const until = new Date(Date.now() + Number(days.value) * 86400000).toISOString();
      const tk = await api.post('/api/v1/rewards', { title: title.value, description: desc.value, amount_yuan: Number(amount.value), area: area.value, valid_until: until });
      for (const f of pics.files) await api.upload(`/api/v1/rewards/${tk.id}/media`, f);
      toast(t('rwc.published'), 'ok');
      ctx.shell.refresh();
    } catch (e) {
      msg.textContent = errorText(e);
    }
  }
  return h('div', null,
    panel(t('rwc.title'),
      err ? h('p', { class: 'form-msg' }, errorText(err)) : null,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'reward-tasks' },
        h('thead', null, h('tr', null, ['title', 'amount', 'until', 'state', 'clues'].map((c) => h('th', null, t('rwc.col.' + c))))),
        h('tbody', null, tasks.length === 0 ? h('tr', null, h('td', { colspan: 5, class: 'muted' }, t('rwc.none'))) : tasks.map((tk) => h('tr', null,
          h('td', null, h('a', { href: '#/rewards/' + tk.id }, tk.title)), h('td', null, '¥' + tk.amount_yuan.toLocaleString()),
          h('td', null, fmtDateTime(tk.valid_until)), h('td', null, t(tk.active ? 'rwc.active' : 'rwc.inactive')), h('td', null, String(tk.clues ?? 0)))))))),
    panel(t('rwc.new'), h('form', { class: 'form', onsubmit: publish },
      field(t('rwc.col.title'), title), field(t('rwc.desc'), desc), field(t('rwc.amount'), amount), field(t('rwc.area'), area),
      field(t('rwc.days'), days), field(t('rwc.pics'), pics), msg,
      h('button', { type: 'submit', class: 'btn primary', 'data-action': 'publish' }, t('rwc.publish')))));
}

async function renderTask(ctx) {
  let tk;
  let clues = [];
  try {
    tk = await api.get('/api/v1/rewards/' + encodeURIComponent(ctx.params.id), { signal: ctx.signal });
    clues = (await api.get(`/api/v1/rewards/${tk.id}/clues`, { signal: ctx.signal })).clues || [];
  } catch (e) {
    return panel(t('rwc.title'), h('p', { class: 'form-msg' }, errorText(e)));
  }
  const act = async (fn) => {
    try {
      await fn();
      ctx.shell.refresh();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };
  return panel(tk.title + ' · ¥' + tk.amount_yuan.toLocaleString(),
    h('p', null, h('a', { href: '#/rewards' }, '← ' + t('rwc.back')), ' · ', tk.center.name, ' · ', t('rw.until2', { at: fmtDateTime(tk.valid_until) })),
    h('p', { style: { whiteSpace: 'pre-wrap' } }, tk.description),
    tk.active ? h('button', { type: 'button', class: 'btn', onclick: () => act(() => api.post(`/api/v1/rewards/${tk.id}/close`, null)) }, t('rwc.close')) : null,
    h('h2', null, t('rwc.clues')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'reward-clues' },
      h('thead', null, h('tr', null, ['at', 'text', 'contact', 'state', ''].map((c) => h('th', null, c ? t('rwc.c.' + c) : '')))),
      h('tbody', null, clues.map((c) => h('tr', null,
        h('td', null, fmtDateTime(c.created_at)), h('td', { style: { whiteSpace: 'pre-wrap' } }, c.text),
        h('td', null, c.anonymous ? t('rwc.anon') : (c.contact || '—')), h('td', null, t('rw.state.' + c.state), c.reward_yuan ? ' ¥' + c.reward_yuan : ''),
        h('td', null, c.state === 'new' ? h('button', { type: 'button', class: 'btn', onclick: () => act(() => api.post(`/api/v1/rewards/${tk.id}/clues/${c.id}/reward`, {})) }, t('rwc.reward')) : null)))))));
}

export default {
  id: 'rewards',
  strings: {
    'zh-CN': {
      'rwc.title': '悬赏任务', 'rwc.none': '暂无悬赏任务', 'rwc.new': '发布悬赏', 'rwc.publish': '发布', 'rwc.published': '已发布',
      'rwc.col.title': '标题', 'rwc.col.amount': '金额', 'rwc.col.until': '截止', 'rwc.col.state': '状态', 'rwc.col.clues': '线索',
      'rwc.active': '进行中', 'rwc.inactive': '已结束', 'rwc.desc': '悬赏内容', 'rwc.amount': '悬赏金额（元）', 'rwc.area': '悬赏范围',
      'rwc.days': '有效天数', 'rwc.pics': '图片', 'rwc.back': '返回', 'rwc.close': '结束悬赏', 'rwc.clues': '群众线索',
      'rwc.c.at': '时间', 'rwc.c.text': '线索', 'rwc.c.contact': '联系方式', 'rwc.c.state': '状态', 'rwc.anon': '匿名', 'rwc.reward': '给予奖励',
      'rw.until2': '截止 {at}', 'rw.state.new': '待核实', 'rw.state.rewarded': '已奖励待领取', 'rw.state.redeemed': '已领取',
    },
    en: {
      'rwc.title': 'Reward tasks', 'rwc.none': 'No reward tasks', 'rwc.new': 'Publish a reward', 'rwc.publish': 'Publish', 'rwc.published': 'Published',
      'rwc.col.title': 'Title', 'rwc.col.amount': 'Amount', 'rwc.col.until': 'Until', 'rwc.col.state': 'State', 'rwc.col.clues': 'Clues',
      'rwc.active': 'Active', 'rwc.inactive': 'Ended', 'rwc.desc': 'Description', 'rwc.amount': 'Amount (yuan)', 'rwc.area': 'Area',
      'rwc.days': 'Valid for (days)', 'rwc.pics': 'Pictures', 'rwc.back': 'Back', 'rwc.close': 'End the task', 'rwc.clues': 'Clues',
      'rwc.c.at': 'Time', 'rwc.c.text': 'Clue', 'rwc.c.contact': 'Contact', 'rwc.c.state': 'State', 'rwc.anon': 'Anonymous', 'rwc.reward': 'Reward',
      'rw.until2': 'until {at}', 'rw.state.new': 'Being checked', 'rw.state.rewarded': 'Rewarded, not claimed', 'rw.state.redeemed': 'Redeemed',
    },
  },
  nav: [{ id: 'rewards', label: 'nav.rewards', icon: 'reward', route: '/rewards', order: 50, roles: ROLES }],
  routes: {
    '/rewards': { render: renderList, roles: ROLES },
    '/rewards/:id': { render: renderTask, roles: ROLES },
  },
};

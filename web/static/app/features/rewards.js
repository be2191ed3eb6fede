// 悬赏任务: the police's reward notices (public), answering with a clue
// (optionally anonymous) for a one-time 6-digit claim code, and claiming a
// reward with the clue number and the code alone.

import { h, screen, emergencyBar, field, errorText, mount } from '../../shared/ui.js';
import { t, fmtDateTime } from '../../shared/i18n.js';
import { api, token } from '../../shared/api.js';

document.head.appendChild(h('style', null, `
.rw-list { list-style: none; padding: 0; margin: 0; }
.rw-item { display: block; padding: 12px; border-bottom: 1px solid #e3e8ef; color: inherit; text-decoration: none; }
.rw-amount { color: #b91c1c; font-weight: 700; }
.rw-desc { white-space: pre-wrap; background: #f6f8fb; padding: 12px; border-radius: 8px; }
.rw-pics { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 8px; }
.rw-pics img { width: 100%; border-radius: 6px; }
.rw-check { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.rw-code { font-size: 28px; letter-spacing: 6px; font-weight: 700; text-align: center; padding: 12px; background: #fff7e6; border-radius: 8px; }
`));

const yuan = (n) => t('rw.yuan', { n: Number(n).toLocaleString() });

async function renderList(ctx) {
  let tasks = [];
  let err = null;
  try {
    tasks = (await api.get('/api/v1/rewards', { signal: ctx.signal })).tasks || [];
  } catch (e) {
    err = e;
  }
  return screen({ title: t('fn.rewards'), back: '/' },
    h('p', { class: 'muted' }, t('fn.rewards.desc')),
    err ? h('p', { class: 'form-msg' }, errorText(err)) : null,
    tasks.length === 0 && !err ? h('p', { class: 'muted' }, t('rw.none')) : null,
    h('ul', { class: 'rw-list', 'data-testid': 'reward-list' }, tasks.map((tk) => h('li', null,
      h('a', { class: 'rw-item', href: '#/rewards/' + tk.id, 'data-reward': tk.id },
        h('strong', null, tk.title), ' ', h('span', { class: 'rw-amount' }, yuan(tk.amount_yuan)),
        h('div', { class: 'muted' }, tk.center.name, tk.area ? ' · ' + tk.area : '', ' · ', t('rw.until', { at: fmtDateTime(tk.valid_until) })))))),
    h('a', { class: 'btn block', href: '#/rewards/claim' }, t('rw.claim')),
    emergencyBar({ compact: true }));
}

async function renderTask(ctx) {
  let tk;
  try {
    tk = await api.get('/api/v1/rewards/' + encodeURIComponent(ctx.params.id), { signal: ctx.signal });
  } catch (e) {
    return screen({ title: t('fn.rewards'), back: '/rewards' }, h('p', { class: 'form-msg' }, errorText(e)));
  }
  const text = h('textarea', { class: 'input', name: 'clue', rows: 4, maxlength: '4000', 'data-testid': 'clue-text' });
  const contact = h('input', { class: 'input', name: 'contact', maxlength: '200' });
  const anon = h('input', { type: 'checkbox', name: 'anonymous', checked: true });
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const box = h('div');
  async function send(ev) {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const r = await api.post(`/api/v1/rewards/${tk.id}/clues`, { text: text.value, contact: contact.value, anonymous: anon.checked });
      mount(box, h('div', { 'data-testid': 'claim-code' }, h('p', null, t('rw.sent')), h('p', null, t('rw.clueNo'), ' ', h('b', { class: 'mono' }, r.clue)),
        h('p', { class: 'rw-code' }, r.claim_code), h('p', { class: 'muted' }, t('rw.keepCode'))));
      ev.target.remove();
    } catch (e) {
      msg.textContent = errorText(e);
    }
  }
  return screen({ title: tk.title, back: '/rewards' },
    h('p', null, h('span', { class: 'rw-amount' }, yuan(tk.amount_yuan)), ' · ', tk.center.name),
    h('p', { class: 'muted' }, (tk.area ? tk.area + ' · ' : '') + t('rw.until', { at: fmtDateTime(tk.valid_until) })),
    h('p', { class: 'rw-desc' }, tk.description),
    h('div', { class: 'rw-pics' }, (tk.media || []).map((m) => h('img', { src: `/api/v1/rewards/${tk.id}/media/${m.sha256}`, alt: '' }))),
    box,
    token() ? h('form', { class: 'form', onsubmit: send },
      h('h2', { class: 'section-title' }, t('rw.answer')),
      field(t('rw.clue'), text), field(t('rw.contact'), contact, t('rw.contactHint')),
      h('label', { class: 'rw-check' }, anon, ' ', t('rw.anonymous')), msg,
      h('button', { type: 'submit', class: 'btn primary block', 'data-action': 'send-clue' }, t('rw.send'))) :
      h('a', { class: 'btn primary block', href: '#/signin?next=' + encodeURIComponent('/rewards/' + tk.id) }, t('rw.signInToAnswer')),
    emergencyBar({ compact: true }));
}

function renderClaim() {
  const clue = h('input', { class: 'input mono', name: 'clue', autocomplete: 'off' });
  const code = h('input', { class: 'input code', name: 'code', inputmode: 'numeric', maxlength: '6' });
  const out = h('div', { role: 'status', 'data-testid': 'claim-result' });
  const ask = (redeem) => async (ev) => {
    ev.preventDefault();
    try {
      const c = await api.post('/api/v1/rewards/claims/' + (redeem ? 'redeem' : 'check'), { clue: clue.value.trim(), code: code.value.trim() });
      mount(out, h('p', null, c.task_title, ' · ', t('rw.state.' + c.state), c.reward_yuan ? ' · ' + yuan(c.reward_yuan) : ''),
        c.receipt ? h('p', null, t('rw.receipt'), ' ', h('b', { class: 'mono' }, c.receipt), ' · ', c.center.name) : null);
    } catch (e) {
      mount(out, h('p', { class: 'form-msg' }, errorText(e)));
    }
  };
  return screen({ title: t('rw.claim'), back: '/rewards' },
    h('form', { class: 'form', onsubmit: ask(false) }, field(t('rw.clueNo'), clue), field(t('rw.code'), code),
      h('button', { type: 'submit', class: 'btn' }, t('rw.check')), ' ',
      h('button', { type: 'button', class: 'btn primary', 'data-action': 'redeem', onclick: ask(true) }, t('rw.redeem'))),
    out);
}

export default {
  id: 'rewards',
  strings: {
    'zh-CN': {
      'rw.none': '目前没有悬赏任务。', 'rw.yuan': '悬赏 {n} 元', 'rw.until': '截止 {at}', 'rw.answer': '提供线索', 'rw.clue': '线索内容',
      'rw.contact': '联系方式（选填）', 'rw.contactHint': '愿意让民警联系您时填写；不填也可以凭兑领码领取奖励。',
      'rw.anonymous': '匿名提供（不与我的账号关联）', 'rw.send': '提交线索', 'rw.sent': '线索已提交。请记下线索编号和兑领码：',
      'rw.clueNo': '线索编号', 'rw.code': '兑领码', 'rw.keepCode': '兑领码只显示这一次，凭线索编号和兑领码即可领取奖励，无需身份信息。',
      'rw.signInToAnswer': '登录后提供线索', 'rw.claim': '凭兑领码领取奖励', 'rw.check': '查询', 'rw.redeem': '领取',
      'rw.receipt': '领取凭证号', 'rw.state.new': '待核实', 'rw.state.rewarded': '可领取', 'rw.state.redeemed': '已领取',
      'error.claim_invalid': '线索编号或兑领码错误。', 'error.not_rewarded': '该线索尚未获得奖励。', 'error.already_redeemed': '奖励已领取。',
      'error.claim_locked': '错误次数过多，请联系发布单位。', 'error.reward_closed': '该悬赏已结束。',
    },
    en: {
      'rw.none': 'No reward tasks right now.', 'rw.yuan': 'Reward ¥{n}', 'rw.until': 'until {at}', 'rw.answer': 'Send a clue', 'rw.clue': 'Your clue',
      'rw.contact': 'Contact (optional)', 'rw.contactHint': 'Only if you want the police to reach you; the claim code works without it.',
      'rw.anonymous': 'Anonymous (not linked to my account)', 'rw.send': 'Send clue', 'rw.sent': 'Clue sent. Keep the clue number and claim code:',
      'rw.clueNo': 'Clue number', 'rw.code': 'Claim code', 'rw.keepCode': 'The code is shown only once. The clue number and the code are all you need to claim a reward.',
      'rw.signInToAnswer': 'Sign in to send a clue', 'rw.claim': 'Claim a reward with your code', 'rw.check': 'Check', 'rw.redeem': 'Redeem',
      'rw.receipt': 'Receipt', 'rw.state.new': 'Being checked', 'rw.state.rewarded': 'Reward ready', 'rw.state.redeemed': 'Redeemed',
      'error.claim_invalid': 'Wrong clue number or code.', 'error.not_rewarded': 'This clue has not been rewarded.', 'error.already_redeemed': 'Already redeemed.',
      'error.claim_locked': 'Too many wrong codes; contact the publishing unit.', 'error.reward_closed': 'This reward task has ended.',
    },
  },
  routes: {
    '/rewards': { render: renderList, public: true },
    '/rewards/claim': { render: renderClaim, public: true },
    '/rewards/:id': { render: renderTask, public: true },
  },
};

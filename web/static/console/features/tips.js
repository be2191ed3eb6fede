// 线索举报 in the console: the tip queue per centre, assignment by a
// supervisor, the tip without its tipster, the reveal (assigned handler
// only, with a reason, on the record), the dialogue, the access log
// (supervisors) and the evidence export.

import { h, icon, field, errorText, toast, mount } from '../../shared/ui.js';
import { t, fmtDateTime } from '../../shared/i18n.js';
import { api, request } from '../../shared/api.js';

const STATES = ['', 'submitted', 'assigned', 'handling', 'closed', 'all'];
const RESULTS = ['verified', 'partly_verified', 'not_verified', 'transferred'];
const ROLES = ['handler', 'supervisor'];

document.head.appendChild(h('style', null, `
.tipc-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 16px; }
.tipc-facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0 0 12px; }
.tipc-facts dt { color: #5b6575; } .tipc-facts dd { margin: 0; }
.tipc-desc { white-space: pre-wrap; background: #f6f8fb; padding: 12px; border-radius: 6px; }
.tipc-media { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; }
.tipc-media figure { margin: 0; border: 1px solid #d0d7e2; border-radius: 6px; padding: 6px; font-size: 12px; }
.tipc-media img, .tipc-media video { width: 100%; display: block; }
.tipc-identity { border: 2px solid #b91c1c22; background: #fff7f7; padding: 12px; border-radius: 6px; }
.tipc-identity .revealed { font-size: 18px; font-weight: 600; }
.tipc-flag { background: #fde68a; color: #92400e; padding: 0 6px; border-radius: 8px; font-size: 12px; margin-left: 4px; }
.tipc-log { font-size: 12px; } .tipc-log td { vertical-align: top; }
.tipc-msgs { list-style: none; padding: 0; max-height: 260px; overflow: auto; }
.tipc-msgs li { padding: 4px 0; border-bottom: 1px solid #eef1f5; }
.tipc-row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
.tipc-state { padding: 1px 8px; border-radius: 10px; background: #e8eef8; font-size: 12px; }
`));

// Names shared with the citizen app's tips module (each shell loads only its own).
const SHARED = {
  'zh-CN': {
    'tips.cat.organized_crime': '涉黑涉恶', 'tips.cat.guns': '涉枪', 'tips.cat.explosives': '涉爆', 'tips.cat.vice_gambling': '涉黄涉赌',
    'tips.cat.pollution': '环境污染', 'tips.cat.drugs': '吸毒/制贩毒', 'tips.cat.intellectual_property': '知识产权',
    'tips.cat.illegal_foreigners': '外国人三非', 'tips.cat.other': '其他',
    'tips.state.submitted': '待分派', 'tips.state.assigned': '已分派', 'tips.state.handling': '处理中', 'tips.state.closed': '已办结',
    'tips.result.verified': '查实', 'tips.result.partly_verified': '部分查实', 'tips.result.not_verified': '未查实', 'tips.result.transferred': '移交',
    'tips.kind.photo': '照片', 'tips.kind.video': '视频', 'tips.kind.audio': '录音', 'tips.dialogue': '与举报人沟通', 'tips.send': '发送',
    'error.not_assigned_handler': '只有分派的处理民警可以执行此操作（本次尝试已记录）。',
    'error.reason_required': '请填写查看理由（5–500字）。',
    'error.tip_anonymous': '匿名举报，未保存举报人身份。',
    'error.invalid_handler': '只能分派给本指挥中心的处理民警。',
  },
  en: {
    'tips.cat.organized_crime': 'Organised crime', 'tips.cat.guns': 'Guns', 'tips.cat.explosives': 'Explosives', 'tips.cat.vice_gambling': 'Vice and gambling',
    'tips.cat.pollution': 'Pollution', 'tips.cat.drugs': 'Drugs', 'tips.cat.intellectual_property': 'Intellectual property',
    'tips.cat.illegal_foreigners': 'Illegal foreigners', 'tips.cat.other': 'Other',
    'tips.state.submitted': 'To assign', 'tips.state.assigned': 'Assigned', 'tips.state.handling': 'Being handled', 'tips.state.closed': 'Closed',
    'tips.result.verified': 'Verified', 'tips.result.partly_verified': 'Partly verified', 'tips.result.not_verified': 'Not verified', 'tips.result.transferred': 'Transferred',
    'tips.kind.photo': 'photo', 'tips.kind.video': 'video', 'tips.kind.audio': 'audio', 'tips.dialogue': 'Dialogue with the tipster', 'tips.send': 'Send',
    'error.not_assigned_handler': 'Only the assigned handling officer may do this (this attempt is logged).',
    'error.reason_required': 'Give a reason (5–500 characters).',
    'error.tip_anonymous': 'Anonymous tip: no identity is stored.',
    'error.invalid_handler': 'Assign to a handling officer of this centre.',
  },
};

function panel(title, ...body) {
  return h('section', { class: 'panel' }, h('header', { class: 'panel-hdr' }, h('h1', null, title)), h('div', { class: 'panel-body' }, body));
}

async function renderQueue(ctx) {
  const me = ctx.shell.me();
  const center = ctx.query.center || me.center.code;
  const state = ctx.query.state || '';
  let tips = [];
  let err = null;
  try {
    tips = (await api.get('/api/v1/tips', { query: { center, state }, signal: ctx.signal })).tips || [];
  } catch (e) {
    err = e;
  }
  ctx.shell.setBadge('tips', tips.filter((x) => x.state === 'submitted').length);
  const centerIn = h('input', { class: 'input mono', name: 'center', value: center, maxlength: '6', 'aria-label': t('tipc.center') });
  const stateSel = h('select', { class: 'input', name: 'state' }, STATES.map((s) => h('option', { value: s, selected: s === state }, t('tipc.filter.' + (s || 'open')))));
  const go = (ev) => {
    ev.preventDefault();
    ctx.shell.navigate(`/tips?center=${encodeURIComponent(centerIn.value.trim())}&state=${stateSel.value}`);
  };
  return panel(t('tipc.title'),
    h('form', { class: 'tipc-row', onsubmit: go }, me.role === 'supervisor' ? field(t('tipc.center'), centerIn) : null, field(t('tipc.state'), stateSel),
      h('button', { class: 'btn', type: 'submit' }, t('tipc.filter'))),
    err ? h('p', { class: 'form-msg' }, errorText(err)) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'tip-queue' },
      h('thead', null, h('tr', null, ['time', 'category', 'center', 'state', 'handler', 'media', 'identity'].map((c) => h('th', null, t('tipc.col.' + c))))),
      h('tbody', null, tips.length === 0 ? h('tr', null, h('td', { colspan: 7, class: 'muted' }, t('tipc.empty'))) :
        tips.map((tp) => h('tr', { 'data-tip': tp.id },
          h('td', null, h('a', { href: '#/tips/' + tp.id, 'data-action': 'open-tip' }, fmtDateTime(tp.created_at))),
          h('td', null, t('tips.cat.' + tp.category), (tp.flags || []).map((f) => h('span', { class: 'tipc-flag', title: t('tipc.flag.' + f + '.hint') }, t('tipc.flag.' + f)))),
          h('td', null, tp.center.name),
          h('td', null, h('span', { class: 'tipc-state' }, t('tips.state.' + tp.state))),
          h('td', { class: 'mono' }, tp.handler || '—'),
          h('td', null, String(tp.media_count)),
          h('td', null, t('tipc.identity.' + tp.identity))))))));
}

/** Loads a tip's media with the bearer token (img/video src cannot carry it). */
async function mediaURL(tipID, m) {
  const res = await request('GET', `/api/v1/tips/${tipID}/media/${m.id}`, { raw: true, timeoutMs: 60000 });
  return URL.createObjectURL(await res.blob());
}

async function renderDetail(ctx) {
  const me = ctx.shell.me();
  const id = ctx.params.id;
  let d;
  try {
    d = await api.get('/api/v1/tips/' + encodeURIComponent(id), { signal: ctx.signal });
  } catch (e) {
    return panel(t('tipc.title'), h('p', { class: 'form-msg' }, errorText(e)), h('a', { href: '#/tips' }, t('tipc.back')));
  }
  const reload = () => ctx.shell.refresh();
  const act = async (fn, ok) => {
    try {
      await fn();
      if (ok) toast(ok, 'ok');
      reload();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  };

  // Media: loaded on demand, each look is audited.
  const media = h('div', { class: 'tipc-media', 'data-testid': 'tip-media' }, (d.media || []).map((m) => {
    const fig = h('figure', { 'data-media': m.id },
      h('button', { type: 'button', class: 'btn', 'data-action': 'show-media', onclick: async () => {
        try {
          const url = await mediaURL(d.id, m);
          mount(fig, m.kind === 'photo' ? h('img', { src: url, alt: t('tips.kind.photo') }) : h(m.kind === 'video' ? 'video' : 'audio', { src: url, controls: true }), caption);
        } catch (e) {
          toast(errorText(e), 'error');
        }
      } }, icon('video', { size: 16 }), ' ', t('tipc.showMedia', { kind: t('tips.kind.' + m.kind) })));
    const caption = h('figcaption', null, `${t('tipc.captured')} ${fmtDateTime(m.captured_at)} · ${m.position.lat.toFixed(5)}, ${m.position.lng.toFixed(5)} · SHA-256 ${m.sha256.slice(0, 16)}…`);
    fig.appendChild(caption);
    return fig;
  }));

  // Identity: sealed; the reveal is the assigned handler's, with a reason.
  const reason = h('input', { class: 'input', name: 'reason', maxlength: '500', placeholder: t('tipc.reasonHint'), 'data-testid': 'reveal-reason' });
  const idBox = h('div', { 'data-testid': 'identity-box' });
  const revealMsg = h('p', { class: 'form-msg', role: 'alert', 'data-testid': 'reveal-msg' });
  const reveal = async (ev) => {
    ev.preventDefault();
    revealMsg.textContent = '';
    try {
      const who = await api.post(`/api/v1/tips/${d.id}/identity/reveal`, { reason: reason.value });
      mount(idBox, h('p', { class: 'revealed', 'data-testid': 'revealed' }, (who.name || t('tipc.noName')) + ' · ' + who.phone),
        h('p', { class: 'muted' }, t('tipc.revealLogged')));
    } catch (e) {
      revealMsg.textContent = errorText(e);
    }
  };
  const identity = h('div', { class: 'tipc-identity' },
    h('h2', null, t('tipc.identityTitle')),
    d.identity === 'anonymous' ? h('p', null, t('tipc.identity.anonymous')) : [
      h('p', null, t('tipc.sealed')),
      idBox,
      me.role === 'handler' ? h('form', { class: 'tipc-row', onsubmit: reveal }, reason,
        h('button', { type: 'submit', class: 'btn danger', 'data-action': 'reveal' }, t('tipc.reveal'))) : null,
      revealMsg,
    ]);

  // Assignment (supervisors), handling (assigned handler).
  const handlerIn = h('input', { class: 'input mono', name: 'handler', value: d.handler || 'h' + d.center.code, 'data-testid': 'assign-handler' });
  const assign = me.role === 'supervisor' && d.state !== 'closed' ? h('form', { class: 'tipc-row', onsubmit: (ev) => {
    ev.preventDefault();
    act(() => api.post(`/api/v1/tips/${d.id}/assign`, { handler: handlerIn.value.trim() }), t('tipc.assigned'));
  } }, field(t('tipc.assignTo'), handlerIn), h('button', { type: 'submit', class: 'btn primary', 'data-action': 'assign' }, t('tipc.assign'))) : null;
  const resultSel = h('select', { class: 'input', name: 'result' }, RESULTS.map((r) => h('option', { value: r }, t('tips.result.' + r))));
  const note = h('input', { class: 'input', name: 'note', maxlength: '2000', placeholder: t('tipc.noteHint') });
  const handling = d.assigned && d.state !== 'closed' ? h('div', null,
    d.state === 'assigned' ? h('button', { type: 'button', class: 'btn primary', 'data-action': 'accept', onclick: () => act(() => api.post(`/api/v1/tips/${d.id}/accept`, null)) }, t('tipc.accept')) : null,
    h('form', { class: 'tipc-row', onsubmit: (ev) => {
      ev.preventDefault();
      act(() => api.post(`/api/v1/tips/${d.id}/close`, { result: resultSel.value, note: note.value }), t('tipc.closed'));
    } }, resultSel, note, h('button', { type: 'submit', class: 'btn', 'data-action': 'close-tip' }, t('tipc.close')))) : null;

  // Dialogue.
  const msgIn = h('input', { class: 'input', name: 'message', maxlength: '2000', placeholder: t('tipc.msgHint') });
  const dialogue = h('div', null, h('h2', null, t('tips.dialogue')),
    h('ol', { class: 'tipc-msgs', 'data-testid': 'tip-dialogue' }, (d.messages || []).map((m) => h('li', null,
      h('strong', null, t('tipc.from.' + m.from)), ' ', h('span', { class: 'muted' }, fmtDateTime(m.at)), h('div', null, m.text)))),
    d.assigned && d.state !== 'closed' ? h('form', { class: 'tipc-row', onsubmit: (ev) => {
      ev.preventDefault();
      act(() => api.post(`/api/v1/tips/${d.id}/messages`, { text: msgIn.value }));
    } }, msgIn, h('button', { type: 'submit', class: 'btn' }, t('tips.send'))) : null);

  // Access log (supervisors).
  const logBox = h('div', { 'data-testid': 'access-log' });
  if (me.role === 'supervisor' || me.role === 'admin') {
    api.get(`/api/v1/tips/${d.id}/access-log`).then((r) => mount(logBox, h('h2', null, t('tipc.accessLog')),
      h('table', { class: 'table tipc-log' }, h('thead', null, h('tr', null, ['at', 'actor', 'action', 'ip', 'reason'].map((c) => h('th', null, t('tipc.log.' + c))))),
        h('tbody', null, (r.entries || []).map((e) => h('tr', { 'data-action-name': e.action },
          h('td', null, fmtDateTime(e.at)), h('td', { class: 'mono' }, e.actor), h('td', null, t('tipc.act.' + e.action) || e.action),
          h('td', { class: 'mono' }, (e.actor_ip || '—') + ' / ' + (e.request_ip || '—')), h('td', null, e.reason || '')))))))
      .catch(() => {});
  }

  const exportBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'export', onclick: async () => {
    try {
      const res = await request('GET', `/api/v1/tips/${d.id}/export`, { raw: true, timeoutMs: 120000 });
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: `tip-${d.id}.zip` });
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  } }, icon('print', { size: 16 }), ' ', t('tipc.export'));

  return h('section', { class: 'panel', 'data-testid': 'tip-detail' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('tips.cat.' + d.category) + ' · ' + t('tips.state.' + d.state)),
      h('p', { class: 'muted' }, h('a', { href: '#/tips' }, '← ' + t('tipc.back')), ' · ', d.id)),
    h('div', { class: 'panel-body tipc-grid' },
      h('div', null,
        h('dl', { class: 'tipc-facts' },
          h('dt', null, t('tipc.col.time')), h('dd', null, fmtDateTime(d.created_at)),
          h('dt', null, t('tipc.col.center')), h('dd', null, d.center.name, d.routed_center && d.routed_center !== d.center.code ? ' ' + t('tipc.chosen') : ''),
          h('dt', null, t('tipc.position')), h('dd', { class: 'mono' }, `${d.position.lat.toFixed(5)}, ${d.position.lng.toFixed(5)} ±${Math.round(d.position.accuracy_m)} m`),
          h('dt', null, t('tipc.col.handler')), h('dd', { class: 'mono' }, d.handler || '—'),
          d.result ? [h('dt', null, t('tipc.result')), h('dd', null, t('tips.result.' + d.result), d.result_note ? ' — ' + d.result_note : '')] : null,
          (d.flags || []).length ? [h('dt', null, t('tipc.flags')), h('dd', null, d.flags.map((f) => h('span', { class: 'tipc-flag' }, t('tipc.flag.' + f))))] : null),
        h('p', { class: 'tipc-desc', 'data-testid': 'tip-description' }, d.description),
        media, h('div', { class: 'tipc-row' }, exportBtn), dialogue),
      h('div', null, identity, assign, handling, logBox)));
}

export default {
  id: 'tips',
  strings: {
    'zh-CN': {
      ...SHARED['zh-CN'],
      'tipc.title': '线索举报',
      'tipc.center': '指挥中心代码',
      'tipc.state': '状态',
      'tipc.filter': '筛选',
      'tipc.filter.open': '未办结',
      'tipc.filter.submitted': '待分派',
      'tipc.filter.assigned': '已分派',
      'tipc.filter.handling': '处理中',
      'tipc.filter.closed': '已办结',
      'tipc.filter.all': '全部',
      'tipc.empty': '暂无举报',
      'tipc.col.time': '提交时间',
      'tipc.col.category': '类型',
      'tipc.col.center': '接收单位',
      'tipc.col.state': '状态',
      'tipc.col.handler': '处理民警',
      'tipc.col.media': '附件',
      'tipc.col.identity': '举报人',
      'tipc.identity.sealed': '实名（加密）',
      'tipc.identity.anonymous': '匿名举报，未保存身份信息。',
      'tipc.flag.rate': '频繁',
      'tipc.flag.rate.hint': '该举报人24小时内提交较多',
      'tipc.flag.duplicate': '疑似重复',
      'tipc.flag.duplicate.hint': '同一举报人的相同内容或附件',
      'tipc.back': '返回队列',
      'tipc.position': '举报位置',
      'tipc.chosen': '（举报人指定）',
      'tipc.result': '处理结果',
      'tipc.flags': '提示',
      'tipc.captured': '拍摄于',
      'tipc.showMedia': '查看{kind}（将记录）',
      'tipc.identityTitle': '举报人身份',
      'tipc.sealed': '举报人姓名和手机号已加密，仅分派的处理民警可以查看，须填写查看理由，查看将被记录。',
      'tipc.reasonHint': '查看理由（必填）',
      'tipc.reveal': '查看身份',
      'tipc.noName': '（未填姓名）',
      'tipc.revealLogged': '本次查看已记录：时间、账号、登录IP、理由。',
      'tipc.assignTo': '分派给处理民警',
      'tipc.assign': '分派',
      'tipc.assigned': '已分派',
      'tipc.accept': '开始处理',
      'tipc.close': '办结',
      'tipc.closed': '已办结',
      'tipc.noteHint': '结果说明（举报人可见）',
      'tipc.msgHint': '发给举报人的消息',
      'tipc.from.tipster': '举报人',
      'tipc.from.police': '民警',
      'tipc.accessLog': '访问记录',
      'tipc.log.at': '时间',
      'tipc.log.actor': '账号',
      'tipc.log.action': '操作',
      'tipc.log.ip': '登录IP / 请求IP',
      'tipc.log.reason': '理由',
      'tipc.act.tip.submit': '提交举报',
      'tipc.act.tip.view': '查看举报',
      'tipc.act.tip.media.view': '查看附件',
      'tipc.act.tip.identity.reveal': '查看举报人身份',
      'tipc.act.tip.identity.denied': '查看身份被拒绝',
      'tipc.act.tip.assign': '分派',
      'tipc.act.tip.accept': '开始处理',
      'tipc.act.tip.close': '办结',
      'tipc.act.tip.message': '发送消息',
      'tipc.act.tip.export': '导出证据',
      'tipc.export': '导出证据包',
    },
    en: {
      ...SHARED.en,
      'tipc.title': 'Tips',
      'tipc.center': 'Centre code',
      'tipc.state': 'State',
      'tipc.filter': 'Filter',
      'tipc.filter.open': 'Open',
      'tipc.filter.submitted': 'To assign',
      'tipc.filter.assigned': 'Assigned',
      'tipc.filter.handling': 'Being handled',
      'tipc.filter.closed': 'Closed',
      'tipc.filter.all': 'All',
      'tipc.empty': 'No tips',
      'tipc.col.time': 'Submitted',
      'tipc.col.category': 'Category',
      'tipc.col.center': 'Receiving unit',
      'tipc.col.state': 'State',
      'tipc.col.handler': 'Handler',
      'tipc.col.media': 'Media',
      'tipc.col.identity': 'Tipster',
      'tipc.identity.sealed': 'Named (sealed)',
      'tipc.identity.anonymous': 'Anonymous: no identity stored.',
      'tipc.flag.rate': 'Frequent',
      'tipc.flag.rate.hint': 'Many tips from this tipster in 24 h',
      'tipc.flag.duplicate': 'Possible duplicate',
      'tipc.flag.duplicate.hint': 'Same text or media from the same tipster',
      'tipc.back': 'Back to queue',
      'tipc.position': 'Tip position',
      'tipc.chosen': '(chosen by the tipster)',
      'tipc.result': 'Result',
      'tipc.flags': 'Signals',
      'tipc.captured': 'Captured',
      'tipc.showMedia': 'Show {kind} (logged)',
      'tipc.identityTitle': 'Tipster identity',
      'tipc.sealed': 'Name and phone are sealed. Only the assigned handling officer may reveal them, with a reason; every reveal is logged.',
      'tipc.reasonHint': 'Reason (required)',
      'tipc.reveal': 'Reveal identity',
      'tipc.noName': '(no name given)',
      'tipc.revealLogged': 'This reveal is logged: time, account, sign-in IP, reason.',
      'tipc.assignTo': 'Assign to handler',
      'tipc.assign': 'Assign',
      'tipc.assigned': 'Assigned',
      'tipc.accept': 'Start handling',
      'tipc.close': 'Close',
      'tipc.closed': 'Closed',
      'tipc.noteHint': 'Result note (the tipster sees it)',
      'tipc.msgHint': 'Message to the tipster',
      'tipc.from.tipster': 'Tipster',
      'tipc.from.police': 'Police',
      'tipc.accessLog': 'Access log',
      'tipc.log.at': 'Time',
      'tipc.log.actor': 'Account',
      'tipc.log.action': 'Action',
      'tipc.log.ip': 'Sign-in IP / request IP',
      'tipc.log.reason': 'Reason',
      'tipc.act.tip.submit': 'Tip submitted',
      'tipc.act.tip.view': 'Opened the tip',
      'tipc.act.tip.media.view': 'Viewed media',
      'tipc.act.tip.identity.reveal': 'Revealed the identity',
      'tipc.act.tip.identity.denied': 'Reveal refused',
      'tipc.act.tip.assign': 'Assigned',
      'tipc.act.tip.accept': 'Started handling',
      'tipc.act.tip.close': 'Closed',
      'tipc.act.tip.message': 'Sent a message',
      'tipc.act.tip.export': 'Exported evidence',
      'tipc.export': 'Export evidence',
    },
  },
  nav: [{ id: 'tips', label: 'nav.tips', icon: 'tip', route: '/tips', order: 40, roles: ROLES }],
  routes: {
    '/tips': { render: renderQueue, roles: ROLES },
    '/tips/:id': { render: renderDetail, roles: ROLES },
  },
};

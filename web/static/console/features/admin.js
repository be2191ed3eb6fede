// 系统管理 (administrators): which counties run their own 110 centre
// (routing follows at once on every node), officers (create, disable,
// reset password, enrol or reset TOTP, move, change role) and the
// run-time settings, saved as versions. Every change is audited server-side.

import { h, mount, errorText, field } from '../../shared/ui.js';
import { t, fmtDateTime } from '../../shared/i18n.js';
import { api } from '../../shared/api.js';
import { loadCSS, tabs, dialog } from './admin/util.js';

const ROLES = ['dispatcher', 'handler', 'supervisor', 'admin'];

async function render(ctx) {
  loadCSS();
  const tab = ctx.query.tab || 'centers';
  const body = h('div', { class: 'adm-body' }, h('p', { class: 'panel-body muted' }, t('common.loading')));
  const panel = h('section', { class: 'panel', 'data-testid': 'admin' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('admin.title')), h('p', { class: 'muted' }, t('admin.sub'))),
    tabs([['centers', t('admin.tab.centers')], ['officers', t('admin.tab.officers')], ['settings', t('admin.tab.settings')]], tab,
      (id) => ctx.shell.navigate('/admin?tab=' + id)),
    body);
  const show = { centers: centersTab, officers: officersTab, settings: settingsTab }[tab] || centersTab;
  show(body, ctx).catch((e) => mount(body, h('p', { class: 'panel-body form-msg' }, errorText(e))));
  return panel;
}

// ---- 指挥中心 ----

async function centersTab(body, ctx) {
  const list = (await api.get('/api/v1/admin/centers', { signal: ctx.signal })).centers;
  const cities = list.filter((c) => c.level !== 'county');
  const counties = (code) => list.filter((c) => c.level === 'county' && c.parent === code);
  const msg = h('p', { class: 'form-msg', role: 'status', style: 'padding: 0 16px' });
  const unit = (c) => {
    const box = h('input', { type: 'checkbox', checked: c.active, 'data-center': c.code, 'aria-label': c.name });
    box.addEventListener('change', async () => {
      const want = box.checked;
      const q = want ? t('admin.center.confirmOn', { name: c.name }) : t('admin.center.confirmOff', { name: c.name });
      if (!confirm(q)) {
        box.checked = !want;
        return;
      }
      box.disabled = true;
      try {
        const res = await api.put('/api/v1/admin/centers/' + c.code, { active: want });
        c.active = res.active;
        msg.className = 'form-info';
        msg.textContent = (want ? t('admin.center.on', { name: c.name }) : t('admin.center.off', { name: c.name })) +
          (!want && res.officers ? ' ' + t('admin.center.officersLeft', { n: res.officers }) : '');
        ctx.shell.toast(t('admin.saved'), 'ok');
      } catch (e) {
        box.checked = !want;
        msg.className = 'form-msg';
        msg.textContent = errorText(e);
      }
      box.disabled = false;
    });
    return h('div', { class: 'adm-unit', 'data-unit': c.code },
      h('label', null, box, h('span', null, c.name.replace('110指挥中心', '')), h('span', { class: 'muted mono' }, c.code)),
      c.officers ? h('span', { class: 'adm-tag' }, t('admin.center.officers', { n: c.officers })) : null);
  };
  mount(body,
    h('p', { class: 'panel-body muted' }, t('admin.center.help')), msg,
    h('div', { class: 'adm-unit-tree' }, cities.map((c) => h('div', { class: 'adm-unit-city' },
      h('h3', null, c.name, ' ', h('span', { class: 'muted mono' }, c.code)),
      counties(c.code).map(unit)))));
}

// ---- 民警账号 ----

async function officersTab(body, ctx) {
  const [{ officers }, { centers }] = await Promise.all([
    api.get('/api/v1/admin/officers', { query: { center: ctx.query.center }, signal: ctx.signal }),
    api.get('/api/v1/admin/centers', { signal: ctx.signal }),
  ]);
  const active = centers.filter((c) => c.active);
  const centerName = (code) => (centers.find((c) => c.code === code)?.name || code).replace('110指挥中心', '');
  const centerSelect = (value, name) => h('select', { class: 'input', name }, active.map((c) => h('option', { value: c.code, selected: c.code === value }, c.name.replace('110指挥中心', '') + ' ' + c.code)));
  const roleSelect = (value, name) => h('select', { class: 'input', name }, ROLES.map((r) => h('option', { value: r, selected: r === value }, t('console.role.' + r))));

  const filter = h('select', { class: 'input', 'data-testid': 'officer-filter' }, h('option', { value: '' }, t('admin.officer.all')),
    active.map((c) => h('option', { value: c.code, selected: c.code === ctx.query.center }, c.name.replace('110指挥中心', ''))));
  filter.addEventListener('change', () => ctx.shell.navigate('/admin?tab=officers' + (filter.value ? '&center=' + filter.value : '')));

  // Create form.
  const f = {
    username: h('input', { class: 'input', name: 'username', autocomplete: 'off', spellcheck: false }),
    name: h('input', { class: 'input', name: 'name' }),
    role: roleSelect('dispatcher', 'role'),
    center: centerSelect(ctx.query.center || ctx.shell.me().center.code, 'center'),
    password: h('input', { class: 'input', name: 'password', type: 'password', autocomplete: 'new-password' }),
  };
  const createMsg = h('p', { class: 'form-msg wide', role: 'alert' });
  const create = h('form', { class: 'adm-form', 'data-testid': 'officer-create', noValidate: true, onsubmit: async (e) => {
    e.preventDefault();
    createMsg.textContent = '';
    try {
      const o = await api.post('/api/v1/admin/officers', { username: f.username.value.trim(), name: f.name.value.trim(), role: f.role.value, center: f.center.value, password: f.password.value });
      ctx.shell.toast(t('admin.officer.created', { u: o.username }), 'ok');
      ctx.shell.refresh();
    } catch (err) {
      createMsg.textContent = errorText(err);
    }
  } },
  field(t('admin.officer.username'), f.username), field(t('admin.officer.name'), f.name), field(t('admin.officer.role'), f.role),
  field(t('admin.officer.center'), f.center), field(t('admin.officer.password'), f.password, t('admin.officer.passwordHint')),
  h('div', { class: 'field' }, h('label', null, '\u00a0'), h('button', { type: 'submit', class: 'btn primary' }, t('admin.officer.create'))),
  createMsg);

  const act = (label, fn, cls) => h('button', { type: 'button', class: ['btn', cls || 'secondary'], onclick: fn }, label);
  const row = (o) => h('tr', { 'data-officer': o.username },
    h('td', { class: 'mono' }, o.username), h('td', null, o.name), h('td', null, t('console.role.' + o.role)),
    h('td', null, centerName(o.center)),
    h('td', null, o.totp_enabled ? h('span', { class: 'adm-tag green' }, t('admin.officer.totpOn')) : h('span', { class: 'adm-off' }, t('admin.officer.totpOff'))),
    h('td', null, o.disabled ? h('span', { class: 'adm-tag red' }, t('admin.officer.disabled')) : h('span', { class: 'adm-on' }, t('admin.officer.enabled'))),
    h('td', null,
      act(t('admin.officer.edit'), () => editOfficer(o, ctx, roleSelect, centerSelect), 'secondary'),
      act(t('admin.officer.resetPassword'), () => resetPassword(o, ctx)),
      act(o.totp_enabled ? t('admin.officer.totpReset') : t('admin.officer.totpEnrol'), () => (o.totp_enabled ? resetTOTP(o, ctx) : enrolTOTP(o, ctx))),
      o.username === ctx.shell.me().username ? null
        : act(o.disabled ? t('admin.officer.enable') : t('admin.officer.disable'), () => setDisabled(o, !o.disabled, ctx), o.disabled ? 'secondary' : 'danger')));

  mount(body,
    h('h2', { class: 'panel-body' }, t('admin.officer.new')), create,
    h('div', { class: 'adm-toolbar' }, field(t('admin.officer.filter'), filter), h('span', { class: 'muted' }, t('admin.officer.count', { n: officers.length }))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table adm-table' },
      h('thead', null, h('tr', null, ['username', 'name', 'role', 'center', 'totp', 'state', 'actions'].map((k) => h('th', null, t('admin.officer.col.' + k))))),
      h('tbody', null, officers.map(row)))));
}

function formDialog(title, fields, submitLabel, onSubmit) {
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  let d;
  const form = h('form', { class: 'form', noValidate: true, onsubmit: async (e) => {
    e.preventDefault();
    msg.textContent = '';
    try {
      await onSubmit();
      d.close();
    } catch (err) {
      msg.textContent = errorText(err);
    }
  } }, fields, msg, h('div', { class: 'adm-row' },
    h('button', { type: 'submit', class: 'btn primary', 'data-action': 'submit' }, submitLabel),
    h('button', { type: 'button', class: 'btn secondary', onclick: () => d.close() }, t('admin.cancel'))));
  d = dialog(title, form);
  return d;
}

function editOfficer(o, ctx, roleSelect, centerSelect) {
  const name = h('input', { class: 'input', name: 'name', value: o.name });
  const role = roleSelect(o.role, 'role');
  const center = centerSelect(o.center, 'center');
  const reason = h('input', { class: 'input', name: 'reason' });
  formDialog(t('admin.officer.editTitle', { u: o.username }),
    [field(t('admin.officer.name'), name), field(t('admin.officer.role'), role), field(t('admin.officer.center'), center), field(t('admin.reason'), reason)],
    t('admin.save'), async () => {
      await api.patch('/api/v1/admin/officers/' + o.username, { name: name.value.trim(), role: role.value, center: center.value, reason: reason.value });
      ctx.shell.toast(t('admin.saved'), 'ok');
      ctx.shell.refresh();
    });
}

function resetPassword(o, ctx) {
  const pw = h('input', { class: 'input', type: 'password', name: 'password', autocomplete: 'new-password' });
  const reason = h('input', { class: 'input', name: 'reason' });
  formDialog(t('admin.officer.resetPasswordTitle', { u: o.username }),
    [field(t('admin.officer.password'), pw, t('admin.officer.passwordHint')), field(t('admin.reason'), reason), h('p', { class: 'muted' }, t('admin.officer.resetPasswordNote'))],
    t('admin.officer.resetPassword'), async () => {
      await api.post('/api/v1/admin/officers/' + o.username + '/password', { password: pw.value, reason: reason.value });
      ctx.shell.toast(t('admin.saved'), 'ok');
    });
}

async function enrolTOTP(o, ctx) {
  let res;
  try {
    res = await api.post('/api/v1/admin/officers/' + o.username + '/totp');
  } catch (e) {
    ctx.shell.toast(errorText(e), 'error');
    return;
  }
  const code = h('input', { class: 'input code', name: 'code', inputmode: 'numeric', maxlength: '6', autocomplete: 'off' });
  formDialog(t('admin.officer.totpTitle', { u: o.username }), [
    h('p', null, t('admin.officer.totpScan')),
    h('div', { class: 'adm-secret', 'data-testid': 'totp-secret' }, res.secret),
    h('p', { class: 'adm-detail mono', 'data-testid': 'totp-url' }, res.otpauth_url),
    field(t('admin.officer.totpCode'), code, t('admin.officer.totpCodeHint')),
  ], t('admin.officer.totpConfirm'), async () => {
    await api.post('/api/v1/admin/officers/' + o.username + '/totp/confirm', { code: code.value.replace(/\D/g, '') });
    ctx.shell.toast(t('admin.officer.totpDone'), 'ok');
    ctx.shell.refresh();
  });
}

async function resetTOTP(o, ctx) {
  if (!confirm(t('admin.officer.totpResetConfirm', { u: o.username }))) return;
  try {
    await api.del('/api/v1/admin/officers/' + o.username + '/totp');
    ctx.shell.toast(t('admin.saved'), 'ok');
    ctx.shell.refresh();
  } catch (e) {
    ctx.shell.toast(errorText(e), 'error');
  }
}

async function setDisabled(o, disabled, ctx) {
  if (disabled && !confirm(t('admin.officer.disableConfirm', { u: o.username }))) return;
  try {
    await api.patch('/api/v1/admin/officers/' + o.username, { disabled });
    ctx.shell.toast(t('admin.saved'), 'ok');
    ctx.shell.refresh();
  } catch (e) {
    ctx.shell.toast(errorText(e), 'error');
  }
}

// ---- 系统设置 ----

const NUMS = [
  ['overflow_after_s', 5, 300], ['abandon_after_s', 10, 600],
  ['trip_retention_days', 1, 365], ['closed_retention_days', 30, 3650], ['evidence_retention_days', 365, 36500], ['session_retention_days', 1, 365],
];
const LIMITS = [['otp_per_phone_day', 1, 50], ['otp_per_ip_hour', 1, 1000], ['login_per_ip_minute', 1, 1000], ['alarms_per_phone_hour', 1, 100]];

async function settingsTab(body, ctx) {
  const [{ current }, { versions }] = await Promise.all([
    api.get('/api/v1/admin/settings', { signal: ctx.signal }),
    api.get('/api/v1/admin/settings/history', { signal: ctx.signal }),
  ]);
  const s = current.settings;
  const num = (name, v, lo, hi) => h('input', { class: 'input', type: 'number', name, value: v, min: lo, max: hi, step: 1 });
  const inputs = {};
  const fields = [];
  for (const [k, lo, hi] of NUMS) {
    inputs[k] = num(k, s[k], lo, hi);
    fields.push(field(t('admin.set.' + k), inputs[k], lo + '–' + hi));
  }
  for (const [k, lo, hi] of LIMITS) {
    inputs['rl.' + k] = num(k, s.rate_limits[k], lo, hi);
    fields.push(field(t('admin.set.' + k), inputs['rl.' + k], lo + '–' + hi));
  }
  const phrases = h('textarea', { class: 'input', name: 'quick_phrases', rows: 5, value: (s.quick_phrases || []).join('\n') });
  const smsURL = h('input', { class: 'input', name: 'sms_url', value: s.sms.gateway_url || '' });
  const smsSecret = h('input', { class: 'input', name: 'sms_secret', type: 'password', value: s.sms.secret || '', autocomplete: 'off' });
  const turnURLs = h('textarea', { class: 'input', name: 'turn_urls', rows: 2, value: (s.turn.urls || []).join('\n') });
  const turnUser = h('input', { class: 'input', name: 'turn_user', value: s.turn.username || '' });
  const turnCred = h('input', { class: 'input', name: 'turn_cred', type: 'password', value: s.turn.credential || '', autocomplete: 'off' });
  const note = h('input', { class: 'input', name: 'note' });
  const msg = h('p', { class: 'form-msg wide', role: 'alert' });
  const lines = (el) => el.value.split('\n').map((x) => x.trim()).filter(Boolean);
  const form = h('form', { class: 'adm-form', 'data-testid': 'settings-form', noValidate: true, onsubmit: async (e) => {
    e.preventDefault();
    msg.textContent = '';
    const next = { quick_phrases: lines(phrases), rate_limits: {}, sms: { gateway_url: smsURL.value.trim(), secret: smsSecret.value },
      turn: { urls: lines(turnURLs), username: turnUser.value.trim(), credential: turnCred.value } };
    for (const [k] of NUMS) next[k] = Number(inputs[k].value);
    for (const [k] of LIMITS) next.rate_limits[k] = Number(inputs['rl.' + k].value);
    try {
      await api.put('/api/v1/admin/settings', { base_version: current.version, settings: next, note: note.value });
      ctx.shell.toast(t('admin.set.saved'), 'ok');
      ctx.shell.refresh();
    } catch (err) {
      msg.textContent = errorText(err) + (err.details?.field ? ' (' + t('admin.set.' + err.details.field.split('.').pop()) + ')' : '');
    }
  } },
  fields,
  h('div', { class: 'wide' }, field(t('admin.set.quick_phrases'), phrases, t('admin.set.quickHint'))),
  field(t('admin.set.sms_url'), smsURL, t('admin.set.smsHint')), field(t('admin.set.sms_secret'), smsSecret),
  field(t('admin.set.turn_urls'), turnURLs, 'turns:turn.example.cn:443?transport=tcp'), field(t('admin.set.turn_user'), turnUser), field(t('admin.set.turn_cred'), turnCred),
  h('div', { class: 'wide' }, field(t('admin.set.note'), note)),
  msg,
  h('div', { class: 'wide adm-row' }, h('button', { type: 'submit', class: 'btn primary' }, t('admin.set.save')),
    h('span', { class: 'muted' }, t('admin.set.version', { v: current.version }) + (current.saved_by ? ' · ' + current.saved_by + ' · ' + fmtDateTime(current.saved_at) : ' · ' + t('admin.set.defaults')))));
  mount(body,
    h('p', { class: 'panel-body muted' }, t('admin.set.help')),
    form,
    h('h2', { class: 'panel-body' }, t('admin.set.history')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, t('admin.set.col.version')), h('th', null, t('admin.set.col.at')), h('th', null, t('admin.set.col.by')), h('th', null, t('admin.set.col.note')))),
      h('tbody', null, versions.map((v) => h('tr', null, h('td', { class: 'mono' }, v.version), h('td', null, fmtDateTime(v.saved_at)), h('td', { class: 'mono' }, v.saved_by), h('td', null, v.note || '')))))));
}

export default {
  id: 'admin',
  strings: {
    'zh-CN': {
      'admin.nav': '系统管理',
      'admin.title': '系统管理',
      'admin.sub': '所有操作均记入审计日志',
      'admin.tab.centers': '指挥中心与接警路由',
      'admin.tab.officers': '民警账号',
      'admin.tab.settings': '系统设置',
      'admin.saved': '已保存',
      'admin.save': '保存',
      'admin.cancel': '取消',
      'admin.reason': '原因（记入审计）',
      'admin.center.help': '勾选表示该县级单位设有独立的110指挥中心，其辖区内的报警直接进入该中心队列；不勾选则由所属市局指挥中心接警。更改立即在所有节点生效。',
      'admin.center.confirmOn': '确定由“{name}”独立接警吗？辖区内新的报警将立即路由到该中心。',
      'admin.center.confirmOff': '确定撤销“{name}”的独立接警吗？辖区内新的报警将由市局指挥中心接警。',
      'admin.center.on': '“{name}”已开始独立接警。',
      'admin.center.off': '“{name}”已停止独立接警，新报警由市局接警。',
      'admin.center.officersLeft': '该中心仍有 {n} 名民警，请调整其所属中心或停用账号。',
      'admin.center.officers': '{n} 名民警',
      'admin.officer.new': '新建民警账号',
      'admin.officer.username': '用户名',
      'admin.officer.name': '姓名',
      'admin.officer.role': '角色',
      'admin.officer.center': '所属指挥中心',
      'admin.officer.password': '初始密码',
      'admin.officer.passwordHint': '至少10个字符，首次登录后请本人修改。',
      'admin.officer.create': '创建账号',
      'admin.officer.created': '已创建账号 {u}',
      'admin.officer.filter': '按指挥中心筛选',
      'admin.officer.all': '全部',
      'admin.officer.count': '共 {n} 个账号',
      'admin.officer.col.username': '用户名',
      'admin.officer.col.name': '姓名',
      'admin.officer.col.role': '角色',
      'admin.officer.col.center': '指挥中心',
      'admin.officer.col.totp': '动态码',
      'admin.officer.col.state': '状态',
      'admin.officer.col.actions': '操作',
      'admin.officer.totpOn': '已绑定',
      'admin.officer.totpOff': '未绑定',
      'admin.officer.enabled': '正常',
      'admin.officer.disabled': '已停用',
      'admin.officer.edit': '调整',
      'admin.officer.editTitle': '调整账号 {u}',
      'admin.officer.resetPassword': '重置密码',
      'admin.officer.resetPasswordTitle': '重置 {u} 的密码',
      'admin.officer.resetPasswordNote': '重置后该民警在所有设备上的登录立即失效。',
      'admin.officer.totpEnrol': '绑定动态码',
      'admin.officer.totpReset': '解绑动态码',
      'admin.officer.totpResetConfirm': '确定解绑 {u} 的身份验证器吗？其登录将立即失效。',
      'admin.officer.totpTitle': '为 {u} 绑定身份验证器',
      'admin.officer.totpScan': '请民警用身份验证器App扫描或手动输入以下密钥：',
      'admin.officer.totpCode': '验证器显示的6位数字',
      'admin.officer.totpCodeHint': '输入一次正确的动态码后绑定生效。',
      'admin.officer.totpConfirm': '确认绑定',
      'admin.officer.totpDone': '动态码已绑定',
      'admin.officer.disable': '停用',
      'admin.officer.enable': '启用',
      'admin.officer.disableConfirm': '确定停用 {u} 吗？其登录将立即失效。',
      'admin.set.help': '设置保存为新版本并立即在所有节点生效；每次修改记入审计日志。密钥类设置只显示是否已设置。',
      'admin.set.overflow_after_s': '无人接警溢出时间（秒）',
      'admin.set.abandon_after_s': '报警人离线判定放弃（秒）',
      'admin.set.trip_retention_days': '行程数据保存天数',
      'admin.set.closed_retention_days': '已办结非证据数据保存天数',
      'admin.set.evidence_retention_days': '证据保存天数',
      'admin.set.session_retention_days': '过期会话保留天数',
      'admin.set.otp_per_phone_day': '每号码每日验证码上限',
      'admin.set.otp_per_ip_hour': '每IP每小时验证码上限',
      'admin.set.login_per_ip_minute': '每IP每分钟民警登录上限',
      'admin.set.alarms_per_phone_hour': '疑似骚扰标记阈值（每号码每小时报警数）',
      'admin.set.quick_phrases': '接警快捷用语',
      'admin.set.quickHint': '每行一条；留空则使用系统默认用语。',
      'admin.set.sms_url': '短信网关地址',
      'admin.set.smsHint': '留空则写入本地短信发件箱（演示/测试）。',
      'admin.set.sms_secret': '短信网关密钥',
      'admin.set.turn_urls': 'TURN 服务器（每行一个）',
      'admin.set.turn_user': 'TURN 用户名',
      'admin.set.turn_cred': 'TURN 密码',
      'admin.set.note': '修改说明',
      'admin.set.save': '保存为新版本',
      'admin.set.saved': '设置已保存并下发到所有节点',
      'admin.set.version': '当前版本 {v}',
      'admin.set.defaults': '系统默认值',
      'admin.set.history': '历史版本',
      'admin.set.col.version': '版本',
      'admin.set.col.at': '保存时间',
      'admin.set.col.by': '保存人',
      'admin.set.col.note': '说明',
      'error.center_not_county': '只有县级单位可以设置是否独立接警，省厅和市局始终接警。',
      'error.center_inactive': '该单位未设独立110指挥中心。',
      'error.outside_your_area': '超出您的管理范围。',
      'error.officer_not_found': '没有该民警账号。',
      'error.username_taken': '该用户名已被使用。',
      'error.invalid_username': '用户名为2–32位小写字母、数字或 . _ -。',
      'error.weak_password': '密码至少10个字符。',
      'error.invalid_role': '请选择角色。',
      'error.invalid_setting': '设置超出允许范围。',
      'error.settings_conflict': '设置已被他人修改，请刷新后重试。',
      'error.cannot_change_self': '不能停用自己或修改自己的角色。',
      'error.totp_invalid': '动态码不正确或已使用。',
    },
    en: {
      'admin.nav': 'Administration',
      'admin.title': 'Administration',
      'admin.sub': 'Every action is recorded in the audit log',
      'admin.tab.centers': 'Centres and routing',
      'admin.tab.officers': 'Officers',
      'admin.tab.settings': 'Settings',
      'admin.saved': 'Saved',
      'admin.save': 'Save',
      'admin.cancel': 'Cancel',
      'admin.reason': 'Reason (audited)',
      'admin.center.help': 'Ticked: the county runs its own 110 centre and alarms in it go straight to its queue. Unticked: the city centre answers. Changes apply at once on every node.',
      'admin.center.confirmOn': 'Make “{name}” answer its own alarms? New alarms there will route to it at once.',
      'admin.center.confirmOff': 'Stop “{name}” answering its own alarms? New alarms there will go to the city centre.',
      'admin.center.on': '“{name}” now answers its own alarms.',
      'admin.center.off': '“{name}” no longer answers; the city centre does.',
      'admin.center.officersLeft': '{n} officers still belong to it: move or disable them.',
      'admin.center.officers': '{n} officers',
      'admin.officer.new': 'New officer account',
      'admin.officer.username': 'Username',
      'admin.officer.name': 'Name',
      'admin.officer.role': 'Role',
      'admin.officer.center': 'Command centre',
      'admin.officer.password': 'Initial password',
      'admin.officer.passwordHint': 'At least 10 characters.',
      'admin.officer.create': 'Create account',
      'admin.officer.created': 'Account {u} created',
      'admin.officer.filter': 'Filter by centre',
      'admin.officer.all': 'All',
      'admin.officer.count': '{n} accounts',
      'admin.officer.col.username': 'Username',
      'admin.officer.col.name': 'Name',
      'admin.officer.col.role': 'Role',
      'admin.officer.col.center': 'Centre',
      'admin.officer.col.totp': 'Authenticator',
      'admin.officer.col.state': 'State',
      'admin.officer.col.actions': 'Actions',
      'admin.officer.totpOn': 'Enrolled',
      'admin.officer.totpOff': 'None',
      'admin.officer.enabled': 'Active',
      'admin.officer.disabled': 'Disabled',
      'admin.officer.edit': 'Change',
      'admin.officer.editTitle': 'Change account {u}',
      'admin.officer.resetPassword': 'Reset password',
      'admin.officer.resetPasswordTitle': 'Reset the password of {u}',
      'admin.officer.resetPasswordNote': 'The officer is signed out everywhere at once.',
      'admin.officer.totpEnrol': 'Enrol authenticator',
      'admin.officer.totpReset': 'Remove authenticator',
      'admin.officer.totpResetConfirm': 'Remove the authenticator of {u}? They are signed out at once.',
      'admin.officer.totpTitle': 'Authenticator for {u}',
      'admin.officer.totpScan': 'The officer scans or types this key into an authenticator app:',
      'admin.officer.totpCode': 'The 6 digits the app shows',
      'admin.officer.totpCodeHint': 'The authenticator is in force once one correct code is entered.',
      'admin.officer.totpConfirm': 'Confirm',
      'admin.officer.totpDone': 'Authenticator enrolled',
      'admin.officer.disable': 'Disable',
      'admin.officer.enable': 'Enable',
      'admin.officer.disableConfirm': 'Disable {u}? They are signed out at once.',
      'admin.set.help': 'Each save is a new version, applied at once on every node and audited. Secrets only show whether they are set.',
      'admin.set.overflow_after_s': 'Overflow when unanswered (s)',
      'admin.set.abandon_after_s': 'Abandoned when the caller is gone (s)',
      'admin.set.trip_retention_days': 'Trip data kept (days)',
      'admin.set.closed_retention_days': 'Closed non-evidence data kept (days)',
      'admin.set.evidence_retention_days': 'Evidence kept (days)',
      'admin.set.session_retention_days': 'Expired sessions kept (days)',
      'admin.set.otp_per_phone_day': 'Codes per phone per day',
      'admin.set.otp_per_ip_hour': 'Codes per IP per hour',
      'admin.set.login_per_ip_minute': 'Officer sign-ins per IP per minute',
      'admin.set.alarms_per_phone_hour': 'Prank mark: alarms per phone per hour',
      'admin.set.quick_phrases': 'Dispatcher quick phrases',
      'admin.set.quickHint': 'One per line; empty uses the built-in phrases.',
      'admin.set.sms_url': 'SMS gateway URL',
      'admin.set.smsHint': 'Empty: the local SMS outbox (demo, tests).',
      'admin.set.sms_secret': 'SMS gateway secret',
      'admin.set.turn_urls': 'TURN servers (one per line)',
      'admin.set.turn_user': 'TURN username',
      'admin.set.turn_cred': 'TURN credential',
      'admin.set.note': 'What changed and why',
      'admin.set.save': 'Save as new version',
      'admin.set.saved': 'Settings saved and sent to every node',
      'admin.set.version': 'Version {v} in force',
      'admin.set.defaults': 'built-in defaults',
      'admin.set.history': 'Versions',
      'admin.set.col.version': 'Version',
      'admin.set.col.at': 'Saved',
      'admin.set.col.by': 'By',
      'admin.set.col.note': 'Note',
      'error.center_not_county': 'Only counties choose; the province and cities always answer.',
      'error.center_inactive': 'That unit does not run its own 110 centre.',
      'error.outside_your_area': 'That is outside the area you administer.',
      'error.officer_not_found': 'No such officer.',
      'error.username_taken': 'That username is taken.',
      'error.invalid_username': 'Username: 2–32 lowercase letters, digits, . _ -',
      'error.weak_password': 'The password needs at least 10 characters.',
      'error.invalid_role': 'Choose a role.',
      'error.invalid_setting': 'A setting is out of range.',
      'error.settings_conflict': 'Someone else changed the settings; reload and try again.',
      'error.cannot_change_self': 'You cannot disable yourself or change your own role.',
      'error.totp_invalid': 'The code is wrong or already used.',
    },
  },
  nav: [{ id: 'admin', label: 'admin.nav', icon: 'settings', route: '/admin', order: 95, roles: ['admin'] }],
  routes: {
    '/admin': { render, roles: ['admin'] },
  },
};



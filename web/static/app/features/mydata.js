// 我的应急信息 (emergency profile: shown to the dispatcher only while they
// answer your alarm) and 我的数据 (PIPL: what we hold, who accessed it,
// export everything, delete the account).

import { h, mount, screen, icon, errorText, field, toast } from '../../shared/ui.js';
import { t, fmtDateTime } from '../../shared/i18n.js';
import { api, request } from '../../shared/api.js';

let cssLoaded = false;
function loadCSS() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: new URL('./mydata/mydata.css', import.meta.url).href }));
}

const lines = (el) => el.value.split(/[\n,，、]/).map((x) => x.trim()).filter(Boolean);

// ---- 我的应急信息 ----

async function renderProfile(ctx) {
  loadCSS();
  let res;
  try {
    res = await api.get('/api/v1/profile', { signal: ctx.signal });
  } catch (e) {
    return screen({ title: t('md.profile.title'), back: true }, h('p', { class: 'form-msg' }, errorText(e)));
  }
  const p = res.profile;
  const text = (name, v, extra = {}) => h('input', { class: 'input', name, value: v || '', ...extra });
  const area = (name, v) => h('textarea', { class: 'input', name, rows: 2, value: (v || []).join('\n') });
  const f = {
    real_name: text('real_name', p.real_name, { autocomplete: 'name' }),
    id_number: text('id_number', p.id_number, { maxlength: '18', autocomplete: 'off' }),
    blood_type: h('select', { class: 'input', name: 'blood_type' }, h('option', { value: '' }, t('md.profile.unknown')),
      res.blood_types.map((b) => h('option', { value: b, selected: b === p.blood_type }, b))),
    allergies: area('allergies', p.allergies), conditions: area('conditions', p.conditions), medications: area('medications', p.medications),
    languages: text('languages', (p.languages || []).join('、'), { placeholder: t('md.profile.languagesPh') }),
    notes: h('textarea', { class: 'input', name: 'notes', rows: 2, value: p.notes || '' }),
  };
  const dis = res.disability_codes.map((code) => h('input', { type: 'checkbox', name: 'disability', value: code, checked: (p.disabilities || []).includes(code), 'data-disability': code }));
  const contacts = [0, 1].map((i) => {
    const c = (p.contacts || [])[i] || {};
    return { name: text('contact_name', c.name, { placeholder: t('md.profile.contactName') }), relation: text('contact_relation', c.relation, { placeholder: t('md.profile.contactRelation') }),
      phone: text('contact_phone', c.phone, { placeholder: t('md.profile.contactPhone'), inputmode: 'tel' }) };
  });
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'btn primary block', 'data-action': 'save-profile' }, t('md.profile.save'));
  const onSubmit = async (e) => {
    e.preventDefault();
    msg.textContent = '';
    save.disabled = true;
    const body = {
      real_name: f.real_name.value, id_number: f.id_number.value, blood_type: f.blood_type.value,
      allergies: lines(f.allergies), conditions: lines(f.conditions), medications: lines(f.medications),
      languages: lines(f.languages), disabilities: dis.filter((d) => d.checked).map((d) => d.value), notes: f.notes.value,
      contacts: contacts.filter((c) => c.name.value.trim() || c.phone.value.trim()).map((c) => ({ name: c.name.value.trim(), relation: c.relation.value.trim(), phone: c.phone.value.trim() })),
    };
    try {
      await api.put('/api/v1/profile', body);
      toast(t('md.profile.saved'), 'ok');
      ctx.shell.navigate('/mydata');
    } catch (err) {
      msg.textContent = errorText(err) + (err.details?.field ? '（' + t('md.f.' + err.details.field.split('.')[0]) + '）' : '');
    }
    save.disabled = false;
  };
  return screen({ title: t('md.profile.title'), back: true },
    h('p', { class: 'md-small' }, icon('info', { size: 16 }), ' ', t('md.profile.why')),
    h('form', { class: 'form', onsubmit: onSubmit, noValidate: true, 'data-testid': 'profile-form' },
      h('div', { class: 'field' }, h('label', null, t('md.f.disabilities')),
        h('div', { class: 'md-checks' }, dis.map((d) => h('label', null, d, t('md.dis.' + d.value)))),
        h('div', { class: 'field-hint' }, t('md.profile.deafHint'))),
      field(t('md.f.languages'), f.languages),
      field(t('md.f.real_name'), f.real_name), field(t('md.f.id_number'), f.id_number), field(t('md.f.blood_type'), f.blood_type),
      field(t('md.f.allergies'), f.allergies, t('md.profile.oneLine')), field(t('md.f.conditions'), f.conditions), field(t('md.f.medications'), f.medications),
      h('div', { class: 'field' }, h('label', null, t('md.f.contacts')), contacts.map((c) => h('div', { class: 'md-contact' }, c.name, c.relation, c.phone))),
      field(t('md.f.notes'), f.notes),
      msg, save,
      h('p', { class: 'md-small' }, t('md.profile.privacy'))));
}

// ---- 我的数据 ----

const STATE_OPEN = ['queued', 'answered'];

async function renderMyData(ctx) {
  loadCSS();
  let data, access;
  try {
    [data, access] = await Promise.all([api.get('/api/v1/mydata', { signal: ctx.signal }), api.get('/api/v1/mydata/access', { signal: ctx.signal })]);
  } catch (e) {
    return screen({ title: t('md.title'), back: true }, h('p', { class: 'form-msg' }, errorText(e)));
  }
  const alarms = data.sections.alarms || [];
  const prof = data.sections.profile;
  const reveals = Object.values(access.identity_reveals || {}).reduce((a, n) => a + n, 0);
  const exportBtn = h('button', { type: 'button', class: 'btn secondary block', 'data-action': 'export' }, icon('audit', { size: 18 }), t('md.export'));
  exportBtn.addEventListener('click', async () => {
    exportBtn.disabled = true;
    try {
      const res = await request('GET', '/api/v1/mydata/export', { raw: true, timeoutMs: 60000 });
      const blob = await res.blob();
      const name = (/filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '') || [])[1] || 'my-data.json';
      const a = h('a', { href: URL.createObjectURL(blob), download: name, 'data-download': name });
      document.body.appendChild(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      toast(t('md.exported'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
    exportBtn.disabled = false;
  });
  return screen({ title: t('md.title'), back: true },
    h('section', { class: 'md-card' }, h('h2', null, t('md.account')),
      h('p', null, data.account.phone), h('p', { class: 'md-small' }, t('md.since', { at: fmtDateTime(data.account.created_at) }))),
    h('section', { class: 'md-card', 'data-testid': 'md-profile' }, h('h2', null, t('md.profile.title')),
      h('p', { class: 'md-small' }, prof ? t('md.profile.has', { at: fmtDateTime(prof.updated_at) }) : t('md.profile.none')),
      h('a', { class: 'btn secondary', href: '#/profile', 'data-action': 'edit-profile' }, prof ? t('md.profile.edit') : t('md.profile.add'))),
    h('section', { class: 'md-card', 'data-testid': 'md-alarms' }, h('h2', null, t('md.alarms', { n: alarms.length })),
      alarms.length ? h('ul', { class: 'md-list' }, alarms.map((a) => h('li', { 'data-alarm': a.id },
        h('span', null, t('md.kind.' + a.kind), ' · ', fmtDateTime(a.raised_at), a.center ? h('div', { class: 'md-small' }, a.center.name) : null),
        h('span', { class: ['md-state', STATE_OPEN.includes(a.state) && 'open'] }, t('md.state.' + a.state)))))
        : h('p', { class: 'md-small' }, t('md.empty'))),
    (data.not_included || []).length ? h('p', { class: 'md-small' }, t('md.notIncluded', { list: data.not_included.map((x) => t('md.section.' + x)).join('、') })) : null,
    h('section', { class: 'md-card', 'data-testid': 'md-access' }, h('h2', null, t('md.access')),
      access.entries.length ? h('ul', { class: 'md-list' }, access.entries.slice(0, 100).map((e) => h('li', null,
        h('span', null, t('md.action.' + e.action) !== 'md.action.' + e.action ? t('md.action.' + e.action) : e.action, h('div', { class: 'md-small' }, e.by)),
        h('span', { class: 'md-small' }, fmtDateTime(e.at)))))
        : h('p', { class: 'md-small' }, t('md.accessNone')),
      reveals ? h('p', { class: 'md-small', 'data-testid': 'reveals' }, t('md.reveals', { n: reveals })) : null),
    exportBtn,
    h('a', { class: 'btn danger block', href: '#/mydata/delete', 'data-action': 'delete' }, t('md.delete')));
}

async function renderDelete(ctx) {
  loadCSS();
  let preview;
  try {
    preview = await api.get('/api/v1/mydata/deletion', { signal: ctx.signal });
  } catch (e) {
    return screen({ title: t('md.delete'), back: true }, h('p', { class: 'form-msg' }, errorText(e)));
  }
  const confirmIn = h('input', { class: 'input', name: 'confirm', autocomplete: 'off', placeholder: 'DELETE' });
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const out = h('div');
  const kept = (list) => (list.length ? h('ul', { class: 'md-list md-kept', 'data-testid': 'kept' }, list.map((k) => h('li', null,
    h('b', null, t('md.section.' + k.kind + 's') + ' ' + k.id.slice(0, 10) + '…'), h('div', null, t('md.reason.' + k.reason)), h('div', { class: 'md-small' }, k.detail || ''))))
    : h('p', { class: 'md-small' }, t('md.keptNone')));
  const go = async (e) => {
    e.preventDefault();
    msg.textContent = '';
    try {
      const res = await api.post('/api/v1/mydata/deletion', { confirm: confirmIn.value.trim() });
      mount(out, h('section', { class: 'md-card', 'data-testid': 'deleted' }, h('h2', null, t('md.deleted')), h('p', null, t('md.deletedKept')), kept(res.kept)));
      form.remove();
      setTimeout(() => ctx.shell.signOut(), 8000);
    } catch (err) {
      msg.textContent = errorText(err);
    }
  };
  const form = h('form', { class: 'form', onsubmit: go, noValidate: true },
    h('section', { class: 'md-card md-danger' }, h('h2', null, t('md.deleteWhat')), h('p', null, t('md.deleteText'))),
    h('section', { class: 'md-card' }, h('h2', null, t('md.keptTitle')), kept(preview.kept)),
    field(t('md.confirm'), confirmIn, t('md.confirmHint')), msg,
    h('button', { type: 'submit', class: 'btn danger block', 'data-action': 'confirm-delete' }, t('md.deleteNow')));
  return screen({ title: t('md.delete'), back: '/mydata' }, form, out);
}

export default {
  id: 'mydata',
  strings: {
    'zh-CN': {
      'md.title': '我的数据',
      'md.link': '我的应急信息与数据',
      'md.account': '账号',
      'md.since': '注册于 {at}',
      'md.profile.title': '我的应急信息',
      'md.profile.why': '报警时，接警员可以看到这些信息（仅在为您接警期间，每次查看都会记录）。所有项目均为选填，加密保存。',
      'md.profile.deafHint': '勾选“听障”或“言语障碍”后，接警员会先用文字与您沟通。',
      'md.profile.unknown': '不清楚',
      'md.profile.languagesPh': '如：普通话、粤语、手语',
      'md.profile.oneLine': '每行一项',
      'md.profile.contactName': '联系人姓名',
      'md.profile.contactRelation': '关系',
      'md.profile.contactPhone': '手机号',
      'md.profile.save': '保存',
      'md.profile.saved': '应急信息已保存',
      'md.profile.privacy': '我们不会将这些信息用于报警处置以外的任何用途。您可随时修改或删除。',
      'md.profile.has': '已登记，更新于 {at}',
      'md.profile.none': '尚未登记。登记后接警员能更快帮助您。',
      'md.profile.edit': '修改应急信息',
      'md.profile.add': '登记应急信息',
      'md.f.real_name': '真实姓名',
      'md.f.id_number': '身份证号',
      'md.f.blood_type': '血型',
      'md.f.allergies': '过敏史',
      'md.f.conditions': '疾病',
      'md.f.medications': '正在服用的药物',
      'md.f.languages': '使用的语言',
      'md.f.disabilities': '身体状况',
      'md.f.contacts': '紧急联系人',
      'md.f.notes': '其他需要接警员知道的',
      'md.dis.deaf': '听障（聋）',
      'md.dis.hard_of_hearing': '听力弱',
      'md.dis.speech': '言语障碍',
      'md.dis.blind': '视障（盲）',
      'md.dis.low_vision': '低视力',
      'md.dis.mobility': '行动不便',
      'md.dis.cognitive': '认知障碍',
      'md.alarms': '我的报警（{n}）',
      'md.empty': '暂无记录',
      'md.kind.video': '视频报警', 'md.kind.silent': '静默报警', 'md.kind.voice': '语音报警', 'md.kind.text': '文字报警', 'md.kind.sms': '短信报警',
      'md.state.queued': '等待接警', 'md.state.answered': '处理中', 'md.state.closed': '已办结', 'md.state.cancelled': '已撤销', 'md.state.abandoned': '未接通',
      'md.section.alarms': '报警', 'md.section.trips': '行程', 'md.section.tips': '线索', 'md.section.missing': '寻人启事', 'md.section.rewards': '悬赏线索', 'md.section.media': '音视频', 'md.section.profiles': '应急信息',
      'md.notIncluded': '以下数据暂未纳入本页和导出：{list}。',
      'md.access': '谁查看过我的数据',
      'md.accessNone': '除您本人外，暂无人员查看记录。',
      'md.reveals': '您的举报人身份曾被经办民警依法查看 {n} 次（不显示查看人）。',
      'md.action.profile.view': '接警员查看了您的应急信息',
      'md.action.alarm.export': '导出了报警记录',
      'md.export': '导出全部数据（JSON 文件）',
      'md.exported': '已导出',
      'md.delete': '注销账号并删除数据',
      'md.deleteWhat': '将会删除',
      'md.deleteText': '您的账号、手机号登录信息、应急信息，以及可以删除的其他数据。注销后所有设备立即退出登录。',
      'md.keptTitle': '依法保留的记录',
      'md.keptNone': '没有需要保留的记录。',
      'md.reason.open_case': '案件尚未办结',
      'md.reason.legal_retention': '依法保存的公安档案',
      'md.reason.evidence': '证据保存期内',
      'md.confirm': '请输入 DELETE 确认',
      'md.confirmHint': '此操作不能撤销。',
      'md.deleteNow': '确认注销',
      'md.deleted': '账号已注销',
      'md.deletedKept': '以下记录依法保留：',
      'error.confirmation_required': '请输入 DELETE 以确认注销。',
      'error.invalid_profile': '有一项填写不正确。',
      'error.deletion_incomplete': '部分数据暂未删除，请稍后重试。',
    },
    en: {
      'md.title': 'My data',
      'md.link': 'My emergency profile and data',
      'md.account': 'Account',
      'md.since': 'Registered {at}',
      'md.profile.title': 'My emergency profile',
      'md.profile.why': 'When you raise an alarm, the dispatcher answering it sees this (only while answering; every view is logged). All optional, stored encrypted.',
      'md.profile.deafHint': 'Tick deaf or speech-impaired and the dispatcher starts in text.',
      'md.profile.unknown': 'Not known',
      'md.profile.languagesPh': 'e.g. Mandarin, Cantonese, sign language',
      'md.profile.oneLine': 'One per line',
      'md.profile.contactName': 'Contact name',
      'md.profile.contactRelation': 'Relation',
      'md.profile.contactPhone': 'Mobile number',
      'md.profile.save': 'Save',
      'md.profile.saved': 'Profile saved',
      'md.profile.privacy': 'Used only to help you in an emergency. Change or delete it at any time.',
      'md.profile.has': 'Filled in, updated {at}',
      'md.profile.none': 'Not filled in. It helps the dispatcher help you faster.',
      'md.profile.edit': 'Edit profile',
      'md.profile.add': 'Fill in profile',
      'md.f.real_name': 'Real name',
      'md.f.id_number': 'ID card number',
      'md.f.blood_type': 'Blood type',
      'md.f.allergies': 'Allergies',
      'md.f.conditions': 'Conditions',
      'md.f.medications': 'Medications',
      'md.f.languages': 'Languages',
      'md.f.disabilities': 'Disabilities',
      'md.f.contacts': 'Emergency contacts',
      'md.f.notes': 'Anything else the dispatcher should know',
      'md.dis.deaf': 'Deaf',
      'md.dis.hard_of_hearing': 'Hard of hearing',
      'md.dis.speech': 'Speech-impaired',
      'md.dis.blind': 'Blind',
      'md.dis.low_vision': 'Low vision',
      'md.dis.mobility': 'Limited mobility',
      'md.dis.cognitive': 'Cognitive impairment',
      'md.alarms': 'My alarms ({n})',
      'md.empty': 'Nothing yet',
      'md.kind.video': 'Video alarm', 'md.kind.silent': 'Silent alarm', 'md.kind.voice': 'Voice alarm', 'md.kind.text': 'Text alarm', 'md.kind.sms': 'SMS alarm',
      'md.state.queued': 'Waiting', 'md.state.answered': 'Being handled', 'md.state.closed': 'Closed', 'md.state.cancelled': 'Cancelled', 'md.state.abandoned': 'Not connected',
      'md.section.alarms': 'alarms', 'md.section.trips': 'trips', 'md.section.tips': 'tips', 'md.section.missing': 'missing-person notices', 'md.section.rewards': 'reward answers', 'md.section.media': 'media', 'md.section.profiles': 'profile',
      'md.notIncluded': 'Not yet included here or in the export: {list}.',
      'md.access': 'Who accessed my data',
      'md.accessNone': 'Nobody but you so far.',
      'md.reveals': 'Your identity as a tipster was lawfully viewed {n} times by the handling officer (not named).',
      'md.action.profile.view': 'A dispatcher viewed your emergency profile',
      'md.action.alarm.export': 'Your alarm record was exported',
      'md.export': 'Export all my data (JSON file)',
      'md.exported': 'Exported',
      'md.delete': 'Delete my account and data',
      'md.deleteWhat': 'What is deleted',
      'md.deleteText': 'Your account, sign-in by phone, emergency profile and every other record that may be deleted. You are signed out everywhere at once.',
      'md.keptTitle': 'Records kept by law',
      'md.keptNone': 'Nothing needs to be kept.',
      'md.reason.open_case': 'The case is still open',
      'md.reason.legal_retention': 'Police records kept by law',
      'md.reason.evidence': 'Evidence within its retention period',
      'md.confirm': 'Type DELETE to confirm',
      'md.confirmHint': 'This cannot be undone.',
      'md.deleteNow': 'Delete my account',
      'md.deleted': 'Account deleted',
      'md.deletedKept': 'These records are kept by law:',
      'error.confirmation_required': 'Type DELETE to confirm.',
      'error.invalid_profile': 'One of the fields is not valid.',
      'error.deletion_incomplete': 'Some data could not be deleted yet; try again later.',
    },
  },
  routes: {
    '/profile': renderProfile,
    '/mydata': renderMyData,
    '/mydata/delete': renderDelete,
  },
  home: (ctx) => (ctx.shell.signedIn() ? h('a', { class: 'home-link', href: '#/mydata', 'data-action': 'mydata' }, icon('user', { size: 20 }), h('span', null, t('md.link')), icon('chevron', { size: 18 })) : null),
};

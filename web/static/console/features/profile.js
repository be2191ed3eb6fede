// 报警人应急信息: the caller's emergency profile, shown to the dispatcher
// only while they answer that caller's alarm (the server checks; each
// display is audited). Whatever screen shows an alarm (any route with the
// alarm's id in it, e.g. #/alarms/<id>), a card appears at the bottom
// right once the dispatcher has answered; deaf or speech-impaired callers
// get a "start in text" banner. #/profile/<alarm id> shows it full size.

import { h, mount, errorText } from '../../shared/ui.js';
import { t } from '../../shared/i18n.js';
import { api } from '../../shared/api.js';
import { loadCSS } from './admin/util.js';

// Alarm IDs: "a" then hex (platform/ids: 32 digits; earlier alarms 24).
const ID_RE = /\b(a[0-9a-f]{24,40})\b/;

function dl(p) {
  const row = (k, v) => (v && (!Array.isArray(v) || v.length) ? [h('dt', null, t('prof.' + k)), h('dd', { 'data-field': k }, Array.isArray(v) ? v.join('、') : v)] : null);
  const dis = (p.disabilities || []).map((d) => t('prof.dis.' + d) !== 'prof.dis.' + d ? t('prof.dis.' + d) : d);
  return h('dl', null,
    row('disabilities', dis), row('languages', p.languages), row('real_name', p.real_name), row('id_number', p.id_number),
    row('blood_type', p.blood_type), row('allergies', p.allergies), row('conditions', p.conditions), row('medications', p.medications),
    row('contacts', (p.contacts || []).map((c) => `${c.name}${c.relation ? '（' + c.relation + '）' : ''} ${c.phone}`)),
    row('notes', p.notes));
}

function card(res, onClose) {
  return h('aside', { class: 'prof-card', 'data-testid': 'caller-profile', 'aria-label': t('prof.title') },
    h('header', null, h('h2', null, t('prof.title')), onClose ? h('button', { type: 'button', 'aria-label': t('common.close'), onclick: onClose }, '✕') : null),
    res.text_first ? h('p', { class: 'prof-text-first', 'data-testid': 'text-first' }, t('prof.textFirst')) : null,
    dl(res.profile),
    h('p', { class: 'prof-note' }, t('prof.audited')));
}

function init(shell) {
  if (!shell.hasRole('dispatcher')) return undefined;
  loadCSS();
  let current = null; // alarm id being watched
  let timer = null;
  let el = null;
  const clear = () => {
    clearTimeout(timer);
    timer = null;
    el?.remove();
    el = null;
  };
  const poll = async (id) => {
    if (current !== id) return;
    try {
      // Ask for the profile only once this dispatcher has answered: the
      // server would refuse (not_answering) before, and each refusal is
      // noise in the console and the logs.
      const a = await api.get('/api/v1/alarms/' + id, { timeoutMs: 8000 });
      if (current !== id) return;
      const mine = a.state === 'answered' && a.answered_by === shell.me()?.username;
      if (!mine) {
        if (a.state === 'queued' || a.state === 'answered') timer = setTimeout(() => poll(id), 2000);
        return;
      }
      const res = await api.get('/api/v1/profile/alarms/' + id, { timeoutMs: 8000 });
      if (current !== id) return;
      if (res.exists) {
        el?.remove();
        el = card(res, () => { el?.remove(); el = null; });
        document.body.appendChild(el);
      }
      return; // shown (or none): one audited view per alarm screen
    } catch (e) {
      if (e.code !== 'not_answering' && !e.offline) return; // no access, no alarm: nothing to show
    }
    timer = setTimeout(() => poll(id), 2000); // not answered yet: look again
  };
  const check = () => {
    const path = location.hash.split('?')[0];
    const m = ID_RE.exec(path);
    const id = m && !path.startsWith('#/profile/') ? m[1] : null;
    if (id === current) return;
    clear();
    current = id;
    if (id) poll(id);
  };
  window.addEventListener('hashchange', check);
  check();
  return () => {
    window.removeEventListener('hashchange', check);
    current = null;
    clear();
  };
}

async function renderFull(ctx) {
  loadCSS();
  const body = h('div', { class: 'panel-body' }, t('common.loading'));
  try {
    const res = await api.get('/api/v1/profile/alarms/' + ctx.params.id, { signal: ctx.signal });
    if (!res.exists) mount(body, h('p', { class: 'muted' }, t('prof.none')));
    else {
      const c = card(res);
      c.classList.add('prof-full');
      mount(body, c);
    }
  } catch (e) {
    mount(body, h('p', { class: 'form-msg' }, errorText(e)));
  }
  return h('section', { class: 'panel' }, h('header', { class: 'panel-hdr' }, h('h1', null, t('prof.title'))), body);
}

export default {
  id: 'profile',
  strings: {
    'zh-CN': {
      'prof.title': '报警人应急信息',
      'prof.textFirst': '报警人登记为听障或言语障碍：请先用文字沟通。',
      'prof.audited': '仅在您接警期间可见，本次查看已记入审计日志。',
      'prof.none': '报警人未登记应急信息。',
      'prof.real_name': '姓名',
      'prof.id_number': '身份证号',
      'prof.blood_type': '血型',
      'prof.allergies': '过敏',
      'prof.conditions': '疾病',
      'prof.medications': '用药',
      'prof.languages': '语言',
      'prof.disabilities': '障碍',
      'prof.contacts': '紧急联系人',
      'prof.notes': '备注',
      'prof.dis.deaf': '听障（聋）',
      'prof.dis.hard_of_hearing': '听力弱',
      'prof.dis.speech': '言语障碍',
      'prof.dis.blind': '视障（盲）',
      'prof.dis.low_vision': '低视力',
      'prof.dis.mobility': '行动不便',
      'prof.dis.cognitive': '认知障碍',
      'error.not_answering': '只有接警员在接警期间可查看报警人信息。',
    },
    en: {
      'prof.title': 'Caller’s emergency profile',
      'prof.textFirst': 'The caller is deaf or speech-impaired: start in text.',
      'prof.audited': 'Visible only while you answer; this view is in the audit log.',
      'prof.none': 'The caller has no emergency profile.',
      'prof.real_name': 'Name',
      'prof.id_number': 'ID number',
      'prof.blood_type': 'Blood type',
      'prof.allergies': 'Allergies',
      'prof.conditions': 'Conditions',
      'prof.medications': 'Medications',
      'prof.languages': 'Languages',
      'prof.disabilities': 'Disabilities',
      'prof.contacts': 'Emergency contacts',
      'prof.notes': 'Notes',
      'prof.dis.deaf': 'Deaf',
      'prof.dis.hard_of_hearing': 'Hard of hearing',
      'prof.dis.speech': 'Speech-impaired',
      'prof.dis.blind': 'Blind',
      'prof.dis.low_vision': 'Low vision',
      'prof.dis.mobility': 'Limited mobility',
      'prof.dis.cognitive': 'Cognitive impairment',
      'error.not_answering': 'Only the answering dispatcher sees the caller’s profile.',
    },
  },
  routes: {
    '/profile/:id': { render: renderFull, roles: ['dispatcher'] },
  },
  init,
};

// 回拨: abandoned alarms (the caller was gone before an answer), oldest
// first, with every call-back attempt and its outcome. A dispatcher records
// each attempt; once the caller is reached (or the case is clear) they
// close the alarm with a disposition.

import { h, mount, icon, errorText } from '../../../shared/ui.js';
import { t, fmtShort, fmtTime } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { kindTag, fmtPos, loadCSS, prettyPhone, label } from './common.js';

const OUTCOMES = ['reached', 'no_answer', 'busy', 'unreachable', 'wrong_number', 'voicemail', 'refused'];
const CLOSE_DISPOS = ['callback_ok', 'no_contact', 'resolved', 'prank', 'invalid', 'duplicate'];

function item(ctx, it, reload) {
  const a = it.alarm;
  const outcome = h('select', { class: 'input', name: 'outcome', 'data-testid': 'cb-outcome' }, OUTCOMES.map((o) => h('option', { value: o }, label('cb', o))));
  const note = h('input', { class: 'input', name: 'note', maxlength: '1000', placeholder: t('al.cb.note'), 'data-testid': 'cb-note' });
  const dispo = h('select', { class: 'input', name: 'disposition' }, CLOSE_DISPOS.map((d) => h('option', { value: d }, label('dispo', d))));
  const record = async (ev) => {
    ev.preventDefault();
    const btn = ev.submitter || ev.currentTarget.querySelector('button');
    btn.disabled = true;
    try {
      await api.post(`/api/v1/alarms/${a.id}/callbacks`, { outcome: outcome.value, note: note.value.trim() });
      ctx.shell.toast(t('al.cb.saved'), 'ok');
      reload();
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
      btn.disabled = false;
    }
  };
  const close = async (ev) => {
    ev.currentTarget.disabled = true;
    try {
      await api.post(`/api/v1/alarms/${a.id}/end`, { disposition: dispo.value });
      ctx.shell.toast(t('al.closed'), 'ok');
      reload();
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
      ev.currentTarget.disabled = false;
    }
  };
  return h('article', { class: 'al-cb', 'data-alarm': a.id },
    h('header', null, kindTag(a.kind), h('b', { class: 'mono' }, prettyPhone(a.caller_phone) || t('al.noPhone')),
      a.caller_phone ? h('a', { class: 'btn', href: 'tel:' + a.caller_phone.replace(/^\+86/, ''), 'data-action': 'dial' }, icon('phone', { size: 16 }), t('al.cb.dial')) : null,
      h('span', { class: 'muted' }, t('al.cb.raised', { at: fmtShort(a.raised_at) })), h('span', { class: 'muted mono small' }, fmtPos(a.location)),
      h('span', { class: 'al-spacer' }), h('a', { href: '#/alarms/' + a.id }, t('al.view'))),
    it.callbacks.length
      ? h('ol', { class: 'al-cb-tries' }, it.callbacks.map((c) => h('li', null, h('span', { class: 'mono' }, fmtTime(c.at)), ' ', h('b', null, label('cb', c.outcome)), ' · ', c.officer, c.note ? ' · ' + c.note : '')))
      : h('p', { class: 'muted' }, t('al.cb.none')),
    h('form', { class: 'al-cb-form', onsubmit: record, noValidate: true }, outcome, note, h('button', { type: 'submit', class: 'btn primary', 'data-action': 'record-callback' }, t('al.cb.record'))),
    h('div', { class: 'al-cb-form' }, dispo, h('button', { type: 'button', class: 'btn', 'data-action': 'close-callback', onclick: close }, t('al.cb.close'))));
}

export async function renderCallbacks(ctx) {
  loadCSS();
  const body = h('div', { class: 'panel-body' }, t('common.loading'));
  const load = async () => {
    try {
      const res = await api.get('/api/v1/alarms/callbacks', { signal: ctx.signal });
      const list = res.callbacks || [];
      ctx.shell.setBadge('callbacks', list.length);
      if (!list.length) {
        mount(body, h('div', { class: 'empty', 'data-testid': 'callbacks-empty' }, icon('phone', { size: 36 }), h('p', { class: 'empty-title' }, t('al.cb.empty'))));
        return;
      }
      mount(body, h('div', { class: 'al-cb-list', 'data-testid': 'callbacks' }, list.map((it) => item(ctx, it, load))));
    } catch (e) {
      if (!ctx.signal.aborted) mount(body, h('p', { class: 'form-msg' }, errorText(e)));
    }
  };
  load();
  return h('section', { class: 'panel' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('al.cb.title')), h('p', { class: 'muted' }, t('al.cb.sub'))),
    body);
}

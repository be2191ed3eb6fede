// /guardian/pin — the duress PIN, explained plainly, set, changed, removed.

import { h, screen, mount, icon, emergencyBar, errorText, toast, field } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';

export async function renderPin(ctx) {
  let set = false;
  try {
    set = !!(await api.get('/api/v1/guardians/duress-pin', { signal: ctx.signal })).set;
  } catch (e) {
    if (ctx.signal.aborted) throw e;
  }
  const status = h('p', { class: 'gd-pin-state', 'data-testid': 'gd-pin-status' });
  const drawStatus = () => {
    status.dataset.set = String(set);
    mount(status, icon(set ? 'check' : 'info', { size: 20 }), h('span', null, t('gd.pin'), '：', h('b', null, t(set ? 'gd.pinSet' : 'gd.pinNotSet'))));
    remove.hidden = !set;
  };
  const a = h('input', { class: 'input big', type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', name: 'pin', 'data-testid': 'gd-pin-new' });
  const b = h('input', { class: 'input big', type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', name: 'pin2', 'data-testid': 'gd-pin-again' });
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'btn primary block', 'data-action': 'save-pin' }, t('gd.pinSave'));
  const remove = h('button', { type: 'button', class: 'btn block', 'data-action': 'remove-pin', onclick: async () => {
    remove.disabled = true;
    try {
      await api.del('/api/v1/guardians/duress-pin');
      set = false;
      toast(t('gd.pinRemoved'), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
    remove.disabled = false;
    drawStatus();
  } }, t('gd.pinRemove'));

  async function submit(ev) {
    ev.preventDefault();
    msg.textContent = '';
    if (!/^\d{4,8}$/.test(a.value)) {
      msg.textContent = t('gd.pinFormat');
      return;
    }
    if (a.value !== b.value) {
      msg.textContent = t('gd.pinMismatch');
      return;
    }
    save.disabled = true;
    try {
      await api.put('/api/v1/guardians/duress-pin', { pin: a.value });
      set = true;
      a.value = b.value = '';
      toast(t('gd.pinSaved'), 'ok');
      drawStatus();
    } catch (e) {
      msg.textContent = errorText(e);
    }
    save.disabled = false;
  }
  drawStatus();

  return screen({ title: t('gd.pin'), back: '/guardian', class: 'gd' },
    h('div', { class: 'gd-card gd-explain' },
      h('p', null, t('gd.pinExplain1')), h('p', null, t('gd.pinExplain2')), h('p', null, h('b', null, t('gd.pinExplain3'))), h('p', { class: 'muted' }, t('gd.pinExplain4'))),
    status,
    h('form', { class: 'form gd-card', noValidate: true, onsubmit: submit, 'data-testid': 'gd-pin-form' },
      field(t('gd.pinNew'), a), field(t('gd.pinAgain'), b), msg, save),
    remove,
    emergencyBar({ compact: true }));
}

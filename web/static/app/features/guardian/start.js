// /guardian/start — start a guarded trip: guardians (defaults ticked),
// what kind of trip, a note (the plate), destination, expected arrival.

import { h, screen, mount, icon, emergencyBar, errorText, field } from '../../../shared/ui.js';
import { t } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { prettyPhone, MODES } from './common.js';
import { startTracker } from './tracker.js';
import { refreshSummary } from './summary.js';

const EXPECT = [['', 'none'], ['15', 'min'], ['30', 'min'], ['45', 'min'], ['60', 'hour'], ['90', 'min'], ['120', 'hour'], ['180', 'hour'], ['at', 'at']];

/** "HH:MM" in Asia/Shanghai → the next such moment (today or tomorrow). */
function nextShanghai(hhmm) {
  const [hh, mm] = hhmm.split(':').map(Number);
  if (!(hh >= 0 && hh < 24 && mm >= 0 && mm < 60)) return null;
  const now = Date.now();
  const sh = new Date(now + 8 * 3600e3); // Shanghai wall clock in UTC fields
  let at = Date.UTC(sh.getUTCFullYear(), sh.getUTCMonth(), sh.getUTCDate(), hh, mm) - 8 * 3600e3;
  if (at <= now + 60e3) at += 24 * 3600e3;
  return new Date(at);
}

export async function renderStart(ctx) {
  let links;
  try {
    links = await api.get('/api/v1/guardians', { signal: ctx.signal });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return screen({ title: t('gd.new'), back: '/guardian' }, h('p', { class: 'form-msg' }, errorText(e)), emergencyBar({ compact: true }));
  }
  const accepted = (links.guardians || []).filter((l) => l.state === 'accepted');
  if (!accepted.length) {
    return screen({ title: t('gd.new'), back: '/guardian', class: 'gd' },
      h('div', { class: 'gd-card', 'data-testid': 'gd-need-guardians' }, h('p', null, t('gd.needGuardians')),
        h('a', { class: 'btn primary block', href: '#/guardian' }, t('gd.goInvite'))),
      emergencyBar({ compact: true }));
  }
  const anyDefault = accepted.some((l) => l.default);
  const boxes = accepted.map((l) => h('input', { type: 'checkbox', name: 'guardian', value: l.id, checked: anyDefault ? l.default : accepted.length === 1 }));
  let mode = 'taxi';
  const modeBtns = h('div', { class: 'gd-modes', role: 'radiogroup', 'aria-label': t('gd.mode') });
  const drawModes = () => mount(modeBtns, MODES.map((m) => h('button', {
    type: 'button', class: ['gd-mode', m === mode && 'on'], role: 'radio', 'aria-checked': String(m === mode), 'data-mode': m,
    onclick: () => { mode = m; drawModes(); },
  }, t('gd.mode.' + m))));
  drawModes();
  const note = h('input', { class: 'input', name: 'note', maxlength: '200', 'data-testid': 'gd-note', placeholder: t('gd.noteHint') });
  const dest = h('input', { class: 'input', name: 'destination', maxlength: '200', 'data-testid': 'gd-dest', placeholder: t('gd.destHint') });
  const at = h('input', { class: 'input', type: 'time', name: 'expected_time', hidden: true, 'data-testid': 'gd-expected-time' });
  const exp = h('select', { class: 'input', name: 'expected', 'data-testid': 'gd-expected', onchange: () => { at.hidden = exp.value !== 'at'; } },
    EXPECT.map(([v, k]) => h('option', { value: v }, k === 'none' ? t('gd.exp.none') : k === 'at' ? t('gd.exp.at') : k === 'hour' ? t('gd.exp.hour', { n: Number(v) / 60 }) : t('gd.exp.min', { n: v }))));
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const go = h('button', { type: 'submit', class: 'btn primary block big', 'data-action': 'start' }, t('gd.startBtn'));

  async function submit(ev) {
    ev.preventDefault();
    msg.textContent = '';
    const guardians = boxes.filter((b) => b.checked).map((b) => b.value);
    if (!guardians.length) {
      msg.textContent = t('error.no_guardians');
      return;
    }
    const body = { mode, guardians };
    if (note.value.trim()) body.note = note.value.trim();
    if (dest.value.trim()) body.destination = dest.value.trim();
    if (exp.value === 'at') {
      const d = at.value && nextShanghai(at.value);
      if (!d) {
        msg.textContent = t('error.invalid_expected_at');
        return;
      }
      body.expected_at = d.toISOString();
    } else if (exp.value) {
      body.expected_at = new Date(Date.now() + Number(exp.value) * 60e3).toISOString();
    }
    go.disabled = true;
    go.textContent = t('gd.starting');
    try {
      const trip = await api.post('/api/v1/trips', body);
      startTracker(trip.id);
      refreshSummary(ctx.shell);
      ctx.shell.navigate('/guardian/trips/' + trip.id, { replace: true });
    } catch (e) {
      if (e.code === 'trip_active' && e.details?.trip_id) {
        ctx.shell.navigate('/guardian/trips/' + e.details.trip_id, { replace: true });
        return;
      }
      msg.textContent = errorText(e);
      go.disabled = false;
      go.textContent = t('gd.startBtn');
    }
  }

  return screen({ title: t('gd.new'), back: '/guardian', class: 'gd' },
    h('form', { class: 'form', noValidate: true, onsubmit: submit, 'data-testid': 'gd-start-form' },
      h('fieldset', { class: 'gd-fieldset' }, h('legend', null, t('gd.chooseGuardians')),
        accepted.map((l, i) => h('label', { class: 'gd-check gd-pick', 'data-link': l.id }, boxes[i], ' ',
          h('b', null, l.label || prettyPhone(l.guardian_phone)), l.label ? h('span', { class: 'muted small' }, ' ', prettyPhone(l.guardian_phone)) : null))),
      h('div', { class: 'field' }, h('label', null, t('gd.mode')), modeBtns),
      field(t('gd.note'), note),
      field(t('gd.dest'), dest),
      field(t('gd.expected'), exp, t('gd.expHint')), at,
      h('p', { class: 'note privacy' }, icon('pin', { size: 16 }), h('span', null, t('gd.startPrivacy'))),
      msg, go),
    emergencyBar({ compact: true }));
}

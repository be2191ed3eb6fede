// "My alarms": the caller's way back to an alarm that is still open (a card
// on the home screen) and a short list of recent ones (#/alarms). The last
// known open alarm is cached on the phone so the card shows at once — also
// offline, when it matters most — and is corrected by the server.

import { h, screen, icon, emergencyBar, errorText, mount } from '../../../shared/ui.js';
import { t, fmtShort } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';

const KEY = 'open110.alarm.open';
export const OPEN = new Set(['queued', 'answered', 'abandoned']);

function read() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || '[]');
  } catch {
    return [];
  }
}

function write(list) {
  try {
    if (list.length) localStorage.setItem(KEY, JSON.stringify(list));
    else localStorage.removeItem(KEY);
  } catch { /* storage blocked: no cache */ }
}

/** Records an alarm's latest state (open ones are kept, ended ones dropped). */
export function remember(a) {
  if (!a?.id) return;
  const list = read().filter((x) => x.id !== a.id);
  if (OPEN.has(a.state)) list.unshift({ id: a.id, kind: a.kind, state: a.state, center: a.center, raised_at: a.raised_at });
  write(list.slice(0, 5));
}

export function forget() {
  write([]);
}

/** The open alarms: the cache now, then the server's truth. */
export async function openAlarms(signal) {
  const res = await api.get('/api/v1/alarms', { query: { limit: 20 }, signal, timeoutMs: 8000 });
  const open = (res.alarms || []).filter((a) => OPEN.has(a.state));
  write(open.slice(0, 5).map((a) => ({ id: a.id, kind: a.kind, state: a.state, center: a.center, raised_at: a.raised_at })));
  return open;
}

function card(a) {
  return h('a', { class: ['home-link', 'alc-home', 'st-' + a.state], href: '#/alarm/call/' + a.id, 'data-testid': 'my-alarm', 'data-alarm': a.id },
    icon(a.kind === 'sms' ? 'sms' : a.kind, { size: 22 }),
    h('span', null, h('b', null, t('alc.openAlarm')), h('small', null, t('alc.kind.' + a.kind) + ' · ' + t('alc.state.' + a.state) + (a.center?.name ? ' · ' + a.center.name : ''))),
    icon('chevron', { size: 18 }));
}

/** The home screen's card(s): open alarms first, then a link to the list. */
export function homeCard(ctx) {
  const box = h('div', { class: 'alc-home-box' });
  const draw = (list) => mount(box, list.map(card), h('a', { class: 'home-link', href: '#/alarms', 'data-testid': 'my-alarms-link' },
    icon('clock', { size: 20 }), h('span', null, t('alc.mine')), icon('chevron', { size: 18 })));
  draw(read());
  if (ctx.shell.signedIn()) openAlarms(ctx.signal).then(draw).catch(() => {});
  return box;
}

export async function renderMine(ctx) {
  const body = h('div', { class: 'alc-mine' }, h('p', { class: 'muted' }, t('common.loading')));
  api.get('/api/v1/alarms', { query: { limit: 50 }, signal: ctx.signal }).then((res) => {
    const list = res.alarms || [];
    if (!list.length) {
      mount(body, h('p', { class: 'muted', 'data-testid': 'no-alarms' }, t('alc.mineEmpty')));
      return;
    }
    mount(body, h('ul', { class: 'alc-mine-list' }, list.map((a) => h('li', null,
      h('a', { href: '#/alarm/call/' + a.id, 'data-alarm': a.id },
        icon(a.kind === 'sms' ? 'sms' : a.kind, { size: 22 }),
        h('span', null, h('b', null, t('alc.kind.' + a.kind)), h('small', null, fmtShort(a.raised_at) + (a.center?.name ? ' · ' + a.center.name : ''))),
        h('span', { class: ['alc-badge', 'st-' + a.state] }, t('alc.state.' + a.state)))))));
  }).catch((e) => {
    if (!ctx.signal.aborted) mount(body, h('p', { class: 'form-msg' }, errorText(e)));
  });
  return screen({ title: t('alc.mine'), back: '/' }, body, emergencyBar({ compact: true }));
}

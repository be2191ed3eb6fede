// /guardian — 亲友互助 at a glance: my trip (or "start"), the trips I guard,
// invitations waiting for me, my guardians (invite by phone, defaults,
// remove), the people I guard, the duress PIN and who read my trip data.

import { h, screen, mount, icon, emergencyBar, errorText, toast, field } from '../../../shared/ui.js';
import { t, fmtShort } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { prettyPhone, modeName, confirmBox } from './common.js';
import { refreshSummary } from './summary.js';

export async function renderHome(ctx) {
  const tripBox = h('section', { class: 'gd-section', 'data-testid': 'gd-my-trip' });
  const guardingBox = h('section', { class: 'gd-section', 'data-testid': 'gd-guarding' });
  const invitesBox = h('section', { class: 'gd-section', 'data-testid': 'gd-invites' });
  const guardiansBox = h('section', { class: 'gd-section', 'data-testid': 'gd-guardians' });
  const iGuardBox = h('section', { class: 'gd-section', 'data-testid': 'gd-i-guard' });
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  let links = { guardians: [], guarding: [], invites: [] };
  let trips = { trips: [], guarding: [] };
  let pinSet = null;
  let confirming = null; // link id whose removal is being confirmed

  async function load() {
    try {
      [links, trips] = await Promise.all([
        api.get('/api/v1/guardians', { signal: ctx.signal }),
        api.get('/api/v1/trips', { signal: ctx.signal }),
      ]);
      msg.textContent = '';
    } catch (e) {
      if (ctx.signal.aborted) return;
      msg.textContent = errorText(e);
    }
    draw();
    refreshSummary(ctx.shell);
  }

  api.get('/api/v1/guardians/duress-pin', { signal: ctx.signal }).then((r) => { pinSet = !!r.set; draw(); }).catch(() => {});

  function draw() {
    drawTrip();
    drawGuarding();
    drawInvites();
    drawGuardians();
    drawIGuard();
    drawMore();
  }

  function drawTrip() {
    const mine = (trips.trips || []).find((x) => x.state === 'active');
    mount(tripBox, h('h2', { class: 'gd-h2' }, t('gd.myTrip')),
      mine
        ? h('a', { class: 'gd-trip-card running', href: '#/guardian/trips/' + mine.id, 'data-testid': 'gd-running-trip', 'data-trip': mine.id },
          h('span', { class: 'gd-dot' }),
          h('span', null, h('b', null, t('gd.tripRunning')), h('small', null, t('gd.tripRunningSub', { mode: modeName(mine.mode), since: fmtShort(mine.started_at) }))),
          icon('chevron', { size: 20 }))
        : h('a', { class: 'btn primary block big gd-start', href: '#/guardian/start', 'data-action': 'start-trip' }, icon('guardian', { size: 24 }), t('gd.start')));
  }

  function drawGuarding() {
    const active = (trips.guarding || []).filter((x) => x.state === 'active');
    const gl = links.guarding || [];
    guardingBox.hidden = !active.length && !gl.length;
    mount(guardingBox, h('h2', { class: 'gd-h2' }, t('gd.guardingNow')),
      active.length ? active.map((x) => h('a', { class: ['gd-trip-card', x.overdue || x.silent || (x.alarms || []).length ? 'alert' : 'watch'], href: '#/guardian/trips/' + x.id, 'data-testid': 'gd-guarded-trip', 'data-trip': x.id },
        icon('guardian', { size: 24 }),
        h('span', null, h('b', null, t('gd.guardingTrip', { phone: prettyPhone(x.traveller_phone) })),
          h('small', null, t('gd.guardingSub', { mode: modeName(x.mode), since: fmtShort(x.started_at) }),
            x.overdue ? ' · ' + t('gd.flag.overdue') : '', x.silent ? ' · ' + t('gd.flag.silent') : '')),
        icon('chevron', { size: 20 })))
        : h('p', { class: 'muted' }, t('gd.noGuarding')));
  }

  function drawInvites() {
    const inv = links.invites || [];
    invitesBox.hidden = !inv.length;
    mount(invitesBox, h('h2', { class: 'gd-h2' }, t('gd.invites'), h('span', { class: 'gd-count' }, String(inv.length))),
      inv.map((l) => h('div', { class: 'gd-card gd-invite', 'data-link': l.id, 'data-testid': 'gd-invite' },
        h('p', null, h('b', null, t('gd.inviteFrom', { phone: prettyPhone(l.owner_phone) }))),
        h('p', { class: 'small muted' }, t('gd.inviteHint')),
        h('div', { class: 'gd-row' },
          h('button', { type: 'button', class: 'btn', 'data-action': 'decline', onclick: (ev) => respond(l, false, ev.currentTarget) }, t('gd.decline')),
          h('button', { type: 'button', class: 'btn primary', 'data-action': 'accept', onclick: (ev) => respond(l, true, ev.currentTarget) }, t('gd.accept'))))));
  }

  async function respond(l, accept, btn) {
    btn.disabled = true;
    try {
      await api.post(`/api/v1/guardians/${encodeURIComponent(l.id)}/${accept ? 'accept' : 'decline'}`, null);
      toast(t(accept ? 'gd.accepted' : 'gd.declined'), 'ok');
      await load();
    } catch (e) {
      btn.disabled = false;
      toast(errorText(e), 'error');
    }
  }

  function drawGuardians() {
    const gs = links.guardians || [];
    const phone = h('input', { class: 'input', type: 'tel', name: 'phone', inputmode: 'tel', autocomplete: 'off', maxlength: '20', 'data-testid': 'gd-invite-phone', placeholder: '138 0000 0000' });
    const label = h('input', { class: 'input', name: 'label', maxlength: '40', 'data-testid': 'gd-invite-label' });
    const def = h('input', { type: 'checkbox', name: 'default', checked: gs.filter((g) => g.default).length < 5 });
    const formMsg = h('p', { class: 'form-msg', role: 'alert' });
    const send = h('button', { type: 'submit', class: 'btn primary block', 'data-action': 'invite' }, t('gd.inviteSend'));
    const form = h('form', { class: 'form gd-card', noValidate: true, 'data-testid': 'gd-invite-form', onsubmit: async (ev) => {
      ev.preventDefault();
      formMsg.textContent = '';
      const p = phone.value.replace(/[\s-]/g, '');
      if (!/^(\+?86)?1\d{10}$/.test(p)) {
        formMsg.textContent = t('error.invalid_phone');
        return;
      }
      send.disabled = true;
      try {
        await api.post('/api/v1/guardians', { phone: p, label: label.value.trim() || undefined, default: def.checked });
        toast(t('gd.inviteSent'), 'ok');
        await load();
      } catch (e) {
        formMsg.textContent = errorText(e);
        send.disabled = false;
      }
    } },
    h('h3', { class: 'gd-h3' }, t('gd.invite')),
    field(t('gd.invitePhone'), phone), field(t('gd.inviteLabel'), label),
    h('label', { class: 'gd-check' }, def, ' ', t('gd.inviteDefault')), formMsg, send);

    mount(guardiansBox, h('h2', { class: 'gd-h2' }, t('gd.myGuardians')),
      gs.length ? h('ul', { class: 'gd-list' }, gs.map((l) => h('li', { class: 'gd-person', 'data-link': l.id, 'data-state': l.state, 'data-testid': 'gd-guardian' },
        h('div', { class: 'gd-person-main' },
          h('b', null, l.label || prettyPhone(l.guardian_phone)),
          l.label ? h('span', { class: 'muted small' }, prettyPhone(l.guardian_phone)) : null,
          h('span', { class: ['gd-state', 'st-' + l.state] }, t('gd.state.' + l.state))),
        h('div', { class: 'gd-person-actions' },
          h('label', { class: 'gd-check small', title: t('gd.defaultHint') },
            h('input', { type: 'checkbox', checked: l.default, 'data-action': 'default', onchange: (ev) => setDefault(l, ev.currentTarget) }), ' ', t('gd.default')),
          h('button', { type: 'button', class: 'btn small-btn', 'data-action': 'revoke', onclick: () => { confirming = l.id; drawGuardians(); } }, t('gd.revoke'))),
        confirming === l.id ? confirmBox({
          question: t('gd.revokeQ', { phone: prettyPhone(l.guardian_phone) }), yes: t('gd.revokeYes'), testid: 'gd-revoke-confirm',
          onNo: () => { confirming = null; drawGuardians(); },
          onYes: (btn) => revoke(l, btn),
        }) : null)))
        : h('p', { class: 'muted' }, t('gd.noGuardians')),
      form);
  }

  async function setDefault(l, box) {
    box.disabled = true;
    try {
      await api.put(`/api/v1/guardians/${encodeURIComponent(l.id)}/default`, { default: box.checked });
      l.default = box.checked;
    } catch (e) {
      box.checked = !box.checked;
      toast(errorText(e), 'error');
    } finally {
      box.disabled = false;
    }
  }

  async function revoke(l, btn) {
    try {
      await api.del(`/api/v1/guardians/${encodeURIComponent(l.id)}`);
      confirming = null;
      toast(t('gd.revoked'), 'ok');
      await load();
    } catch (e) {
      btn.disabled = false;
      toast(errorText(e), 'error');
    }
  }

  function drawIGuard() {
    const gl = links.guarding || [];
    iGuardBox.hidden = !gl.length;
    mount(iGuardBox, h('h2', { class: 'gd-h2' }, t('gd.iGuard')),
      h('ul', { class: 'gd-list' }, gl.map((l) => h('li', { class: 'gd-person', 'data-link': l.id, 'data-testid': 'gd-i-guard-item' },
        h('div', { class: 'gd-person-main' }, h('b', null, prettyPhone(l.owner_phone))),
        h('div', { class: 'gd-person-actions' },
          h('button', { type: 'button', class: 'btn small-btn', 'data-action': 'stop-guarding', onclick: () => { confirming = l.id; drawIGuard(); } }, t('gd.stopGuarding'))),
        confirming === l.id ? confirmBox({
          question: t('gd.stopGuardingQ', { phone: prettyPhone(l.owner_phone) }), yes: t('gd.stopGuarding'), testid: 'gd-stop-confirm',
          onNo: () => { confirming = null; drawIGuard(); },
          onYes: (btn) => revoke(l, btn),
        }) : null))));
  }

  const more = () => h('nav', { class: 'gd-more' },
    h('a', { class: 'home-link', href: '#/guardian/pin', 'data-testid': 'gd-pin-link' }, icon('settings', { size: 20 }),
      h('span', null, t('gd.pin'), ' ', h('small', { class: 'muted', 'data-testid': 'gd-pin-state' }, pinSet === null ? '' : t(pinSet ? 'gd.pinSet' : 'gd.pinNotSet'))),
      icon('chevron', { size: 18 })),
    h('a', { class: 'home-link', href: '#/guardian/access', 'data-testid': 'gd-access-link' }, icon('audit', { size: 20 }), h('span', null, t('gd.access')), icon('chevron', { size: 18 })));
  const moreBox = h('div');
  const drawMore = () => mount(moreBox, more());

  await load();
  const poll = setInterval(load, 20000);
  ctx.onLeave(() => clearInterval(poll));

  return screen({ title: t('gd.title'), back: '/', class: 'gd' },
    h('p', { class: 'gd-intro' }, t('fn.guardian.desc')),
    msg, tripBox, invitesBox, guardingBox, guardiansBox, iGuardBox, moreBox,
    h('p', { class: 'note privacy' }, icon('info', { size: 16 }), h('span', null, t('gd.policeNote'))),
    emergencyBar({ compact: true }));
}

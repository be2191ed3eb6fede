// 警情: the dispatcher's side of alarms. The queue (#/queue) with live
// waiting times, the alarm view (#/alarms/<id>: map, chat, incident record,
// transfer, close, EIDO), call-backs of abandoned alarms (#/callbacks) and
// answer-time statistics for supervisors (#/alarm-stats). One live feed per
// console keeps the queue, the nav badge and a silent visual alert for new
// alarms up to date. Other features add panels to the alarm view through
// ./alarm/panels.js (web/README.md, "Alarm view extension points").

import { h, icon } from '../../shared/ui.js';
import { t } from '../../shared/i18n.js';
import strings from './alarm/strings.js';
import * as store from './alarm/store.js';
import { renderQueue, answer } from './alarm/queue.js';
import { renderAlarm } from './alarm/view.js';
import { renderCallbacks } from './alarm/callbacks.js';
import { renderStats } from './alarm/stats.js';
import { kindTag, since, fmtDur, loadCSS } from './alarm/common.js';
import { api } from '../../shared/api.js';

const DESK = ['dispatcher', 'supervisor', 'admin'];
const SUPERVISORS = ['supervisor', 'admin'];

/**
 * The new-alarm alert: a bar under the top bar (no sound — a control room
 * is loud enough), the nav badge and a blinking tab title, until every
 * fresh alarm is answered, gone, or the dispatcher says "got it".
 */
function alerter(shell) {
  const fresh = new Set();
  // In the page's flow under the top bar: it pushes the screen down rather
  // than covering the queue it points at.
  const el = h('div', { class: 'al-alert', role: 'alert', 'data-testid': 'new-alarm-alert', hidden: true });
  const top = document.querySelector('.c-top');
  if (top) top.after(el);
  else document.body.prepend(el);
  let blink = null;
  const PREFIX = '【' + t('al.newAlarm') + '】';
  const setTitle = (on) => {
    const base = document.title.startsWith(PREFIX) ? document.title.slice(PREFIX.length) : document.title;
    document.title = on ? PREFIX + base : base;
  };
  const draw = () => {
    const waiting = store.queued().filter((a) => fresh.has(a.id));
    for (const id of [...fresh]) if (!waiting.some((a) => a.id === id)) fresh.delete(id);
    if (!waiting.length) {
      el.hidden = true;
      clearInterval(blink);
      blink = null;
      setTitle(false);
      return;
    }
    const a = waiting[0];
    el.replaceChildren(
      h('span', { class: 'al-alert-icon' }, icon('queue', { size: 22 })),
      h('b', null, waiting.length > 1 ? t('al.newAlarms', { n: waiting.length }) : t('al.newAlarm')),
      kindTag(a.kind),
      h('span', { class: 'mono', 'data-wait': a.queued_at || a.raised_at }, fmtDur(since(a.queued_at || a.raised_at))),
      a.center?.name ? h('span', null, a.center.name) : null,
      h('span', { class: 'al-spacer' }),
      shell.hasRole('dispatcher', 'supervisor') ? h('button', { type: 'button', class: 'btn danger', 'data-action': 'alert-answer', onclick: (ev) => answer(shell, a.id, ev.currentTarget) }, t('al.answer')) : null,
      h('a', { class: 'btn', href: '#/queue', onclick: () => { fresh.clear(); draw(); } }, t('al.toQueue')),
      h('button', { type: 'button', class: 'btn', 'data-action': 'alert-dismiss', onclick: () => { fresh.clear(); draw(); } }, t('al.dismiss')));
    el.hidden = false;
    if (!blink) {
      let on = false;
      blink = setInterval(() => {
        on = !on;
        setTitle(on);
        const w = el.querySelector('[data-wait]');
        if (w) w.textContent = fmtDur(since(w.dataset.wait));
      }, 1000);
    }
  };
  const off = store.subscribe((c) => {
    if (c.fresh) for (const a of store.queued()) if (c.type === 'snapshot' || a.id === c.alarm?.id) fresh.add(a.id);
    draw();
  });
  return () => {
    off();
    clearInterval(blink);
    setTitle(false);
    el.remove();
  };
}

function init(shell) {
  if (!shell.hasRole(...DESK)) return undefined;
  loadCSS();
  const stop = store.start(shell);
  // Admins watch the province for other reasons: the alert is for those who answer.
  const stopAlert = shell.hasRole('dispatcher', 'supervisor') ? alerter(shell) : () => {};
  // The call-back list's size on its nav entry (refreshed with the queue's changes, at most every 30 s).
  let last = 0;
  const countCallbacks = () => {
    if (Date.now() - last < 30000) return;
    last = Date.now();
    api.get('/api/v1/alarms/callbacks').then((r) => shell.setBadge('callbacks', (r.callbacks || []).length)).catch(() => {});
  };
  countCallbacks();
  const offCb = store.subscribe((c) => {
    shell.setBadge('queue', store.queued().length);
    if (c.event?.type === 'abandoned') {
      last = 0;
      countCallbacks();
    }
  });
  return () => {
    offCb();
    stopAlert();
    stop();
  };
}

export default {
  id: 'alarm',
  strings,
  nav: [
    { id: 'queue', label: 'nav.queue', icon: 'queue', route: '/queue', order: 10, roles: DESK },
    { id: 'callbacks', label: 'al.nav.callbacks', icon: 'phone', route: '/callbacks', order: 20, roles: DESK },
    { id: 'alarmstats', label: 'al.st.nav', icon: 'clock', route: '/alarm-stats', order: 81, roles: SUPERVISORS },
  ],
  routes: {
    '/queue': { render: renderQueue, roles: DESK },
    '/alarms/:id': { render: renderAlarm, roles: DESK },
    '/callbacks': { render: renderCallbacks, roles: DESK },
    '/alarm-stats': { render: renderStats, roles: SUPERVISORS },
  },
  init,
};

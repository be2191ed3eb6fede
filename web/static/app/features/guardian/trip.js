// /guardian/trips/:id — one trip, as its traveller or a guardian sees it.
// The traveller: sharing indicator, map, SOS, capture, "I'm fine",
// "arrived safely" (with the PIN when one is set). A guardian: the live
// track on the map, last position with its accuracy, the media beside it,
// what happened, and "raise an alarm for them".

import { h, screen, mount, icon, emergencyBar, errorText, toast } from '../../../shared/ui.js';
import { t, fmtTime, fmtShort, fmtAgo } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { tripFeed } from './feed.js';
import { tripMap, cityOf } from './tripmap.js';
import { startTracker, activeTracker, stopTracker } from './tracker.js';
import { captureBox } from './capture.js';
import { prettyPhone, modeName, confirmBox, mediaThumb } from './common.js';
import { refreshSummary } from './summary.js';

export async function renderTrip(ctx) {
  const id = ctx.params.id;
  let trip;
  try {
    trip = await api.get('/api/v1/trips/' + encodeURIComponent(id), { signal: ctx.signal });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return screen({ title: t('gd.trip'), back: '/guardian' },
      h('p', { class: 'gd-empty', 'data-testid': 'gd-trip-not-found' }, e.status === 404 ? t('gd.tripNotFound') : errorText(e)),
      emergencyBar({ compact: true }));
  }
  return trip.role === 'traveller' ? traveller(ctx, trip) : guardian(ctx, trip);
}

const mediaPath = (tripId) => (m) => `/api/v1/trips/${encodeURIComponent(tripId)}/media/${encodeURIComponent(m.id)}`;

function infoLines(trip) {
  return [
    h('p', { class: 'gd-trip-mode' }, h('b', null, modeName(trip.mode)), trip.note ? h('span', { class: 'gd-note' }, ' · ', trip.note) : null),
    trip.destination ? h('p', { class: 'muted' }, icon('pin', { size: 16 }), ' ', trip.destination) : null,
    h('p', { class: 'muted small' }, t('gd.startedAt', { at: fmtShort(trip.started_at) }),
      trip.expected_at ? ' · ' + t('gd.expectedAt', { at: fmtShort(trip.expected_at) }) : ''),
  ];
}

/**
 * firstPosition(trip) → { promise, offer(pos) }: the trip's first known
 * position (now, or when a fix or a point arrives; '' after 15 s), for
 * the map's city outlines.
 */
function firstPosition(known) {
  let done;
  const promise = new Promise((r) => { done = r; });
  let settled = false;
  const offer = (pos) => {
    if (settled || !pos) return;
    settled = true;
    done(pos);
  };
  offer(known);
  setTimeout(() => { if (!settled) { settled = true; done(null); } }, 15000);
  return { promise, offer };
}

function mediaList(st, tripId, signal) {
  if (!st.media.length) return h('p', { class: 'muted small' }, t('gd.noMedia'));
  return h('div', { class: 'gd-thumbs' }, st.media.slice().reverse().map((m) => mediaThumb(m, mediaPath(tripId), { signal, fmt: fmtTime })));
}

// ---- the traveller ------------------------------------------------------------

function traveller(ctx, first) {
  let trip = first;
  let pinSet = false;
  let asking = null; // 'sos' | 'end' | null
  let raised = null;
  const mapEl = h('div', { class: 'gd-map gd-map-small', 'data-testid': 'gd-map' });
  const fp = firstPosition(trip.last);
  const tm = tripMap(mapEl, { signal: ctx.signal, boundary: fp.promise.then((p) => cityOf(api, p, ctx.signal)) });
  ctx.onLeave(() => tm.remove());
  const head = h('section', { class: 'gd-card gd-trip-head', 'data-testid': 'gd-trip-head' });
  const share = h('p', { class: 'gd-share', 'data-testid': 'gd-share', role: 'status' });
  const overdue = h('section', { class: 'gd-overdue', hidden: true, 'data-testid': 'gd-overdue' });
  const actions = h('div', { class: 'gd-actions' });
  const confirmSlot = h('div');
  const mediaBox = h('section', { class: 'gd-card', 'data-testid': 'gd-sent-media' });
  const ended = h('section', { class: 'gd-ended', hidden: true, 'data-testid': 'gd-ended' });
  const capture = captureBox({ tripId: trip.id, position: () => activeTracker()?.last || trip.last, onLeave: ctx.onLeave });
  let feed = null;

  api.get('/api/v1/guardians/duress-pin', { signal: ctx.signal }).then((r) => { pinSet = !!r.set; }).catch(() => {});

  function drawShare(tr) {
    if (trip.state !== 'active') {
      share.dataset.state = 'stopped';
      mount(share, h('span', { class: 'gd-dot' }), t('gd.share.stopped'));
      return;
    }
    const s = tr?.state || 'locating';
    share.dataset.state = s;
    const parts = [h('span', { class: 'gd-dot' }), h('span', null, t(s === 'sharing' ? 'gd.share.on' : 'gd.share.' + s))];
    if (tr?.pending > 0 && s !== 'denied') parts.push(h('small', { class: 'gd-pending', 'data-testid': 'gd-pending' }, t('gd.share.pending', { n: tr.pending })));
    mount(share, parts);
  }

  function draw() {
    const names = (trip.guardians || []).map((g) => g.label || prettyPhone(g.phone)).join('、');
    mount(head, infoLines(trip), names ? h('p', { class: 'small' }, icon('guardian', { size: 16 }), ' ', t('gd.guardiansOf', { list: names })) : null);
    overdue.hidden = !(trip.state === 'active' && trip.overdue);
    if (!overdue.hidden && !overdue.firstChild) {
      mount(overdue, h('p', { class: 'gd-overdue-q' }, t('gd.overdueQ')), h('p', { class: 'small' }, t('gd.overdueHint')),
        h('button', { type: 'button', class: 'btn primary block big', 'data-action': 'im-ok', onclick: imOk }, t('gd.imOk')));
    } else if (overdue.hidden) overdue.replaceChildren();
    const active = trip.state === 'active';
    ended.hidden = active;
    if (!active) {
      mount(ended, h('span', { class: 'gd-ended-icon' }, icon('check', { size: 34 })),
        h('p', { class: 'gd-ended-title' }, t('gd.arrived')), h('p', { class: 'small' }, t('gd.arrivedSub')),
        trip.ended_at ? h('p', { class: 'muted small' }, t('gd.endedAt', { at: fmtShort(trip.ended_at) })) : null,
        h('a', { class: 'btn block', href: '#/guardian' }, t('gd.back')));
    }
    capture.hidden = !active;
    actions.hidden = !active;
    const sos = (trip.alarms || [])[0] || raised;
    mount(actions,
      sos ? h('a', { class: 'btn danger block', href: '#/alarm/call/' + (sos.alarm_id || sos.id), 'data-testid': 'gd-sos-raised' }, t('gd.sosRaised')) :
        h('button', { type: 'button', class: 'gd-sos', 'data-action': 'sos', onclick: () => ask('sos') },
          h('span', { class: 'gd-sos-big' }, t('gd.sos')), h('span', { class: 'gd-sos-sub' }, t('gd.sosSub'))),
      h('button', { type: 'button', class: 'gd-arrive', 'data-action': 'arrive', onclick: () => ask('end') }, icon('check', { size: 24 }), t('gd.arrive')));
    drawShare(activeTracker());
  }

  function ask(what) {
    asking = what;
    if (what === 'sos') {
      mount(confirmSlot, confirmBox({
        question: t('gd.sosQ'), hint: t('gd.sosHint'), yes: t('gd.sosYes'), testid: 'gd-sos-confirm',
        onNo: () => { asking = null; confirmSlot.replaceChildren(); },
        onYes: raiseSOS,
      }));
    } else {
      const pin = pinSet ? h('input', { class: 'input big gd-pin-input', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '8', name: 'pin', 'data-testid': 'gd-end-pin', placeholder: t('gd.pinEnter') }) : null;
      const box = confirmBox({
        question: pinSet ? t('gd.pinPrompt') : t('gd.arriveQ'), yes: t('gd.arriveYes'), yesClass: 'primary', testid: 'gd-end-confirm',
        onNo: () => { asking = null; confirmSlot.replaceChildren(); },
        onYes: (btn) => end(pin, btn),
      });
      if (pin) box.insertBefore(pin, box.lastChild);
      mount(confirmSlot, box);
      pin?.focus();
    }
    confirmSlot.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }

  async function raiseSOS(btn) {
    try {
      const r = await api.post(`/api/v1/trips/${encodeURIComponent(trip.id)}/alarms`, { kind: 'silent' });
      raised = { alarm_id: r.alarm_id };
      confirmSlot.replaceChildren();
      refreshSummary(ctx.shell);
      ctx.shell.navigate('/alarm/call/' + r.alarm_id);
    } catch (e) {
      btn.disabled = false;
      toast(errorText(e), 'error');
    }
  }

  async function end(pinInput, btn) {
    const pin = pinInput ? pinInput.value.trim() : '';
    if (pinInput && !/^\d{4,8}$/.test(pin)) {
      btn.disabled = false;
      toast(t('gd.pinFormat'), 'error');
      return;
    }
    try {
      // Send what is still queued first, but never keep "arrived" waiting
      // long on a slow network: after 8 s the trip ends anyway (the
      // server would still take points captured before the end, but the
      // traveller is safe and the track up to now is with the guardians).
      await Promise.race([activeTracker()?.flush(), new Promise((r) => setTimeout(r, 8000))]);
      trip = await api.post(`/api/v1/trips/${encodeURIComponent(trip.id)}/end`, pin ? { pin } : {});
      stopTracker({ clear: true });
      asking = null;
      confirmSlot.replaceChildren();
      refreshSummary(ctx.shell);
      draw();
      window.scrollTo(0, 0);
    } catch (e) {
      btn.disabled = false;
      toast(errorText(e), 'error');
    }
  }

  async function imOk(ev) {
    ev.currentTarget.disabled = true;
    try {
      trip = await api.post(`/api/v1/trips/${encodeURIComponent(trip.id)}/checkin`, {});
      toast(t('gd.imOkDone'), 'ok');
      draw();
    } catch (e) {
      ev.currentTarget.disabled = false;
      toast(errorText(e), 'error');
    }
  }

  if (trip.state === 'active') {
    const tr = startTracker(trip.id);
    ctx.onLeave(tr.subscribe((x) => {
      drawShare(x);
      fp.offer(x.last);
      // Our own fixes show at once; the feed confirms them.
      if (x.last && feed) tm.draw(mergePoints(feed.state.points, x.queue), x.last);
    }));
  }
  feed = tripFeed(trip.id, {
    onChange: (st) => {
      if (st.trip) trip = { ...trip, ...st.trip };
      if (trip.state !== 'active') stopTracker({ clear: true });
      fp.offer(st.points[0]);
      tm.draw(mergePoints(st.points, activeTracker()?.queue || []), activeTracker()?.last || trip.last);
      mount(mediaBox, h('h2', { class: 'gd-h2' }, t('gd.media')), mediaList(st, trip.id, ctx.signal));
      if (!asking) draw();
    },
  });
  ctx.onLeave(() => feed.close());
  draw();

  return screen({ title: t('gd.trip'), back: '/guardian', class: 'gd' },
    ended, share, overdue, head, mapEl, actions, confirmSlot, capture, mediaBox, emergencyBar({ compact: true }));
}

function mergePoints(server, queued) {
  if (!queued.length) return server;
  const seen = new Set(server.map((p) => p.seq));
  return server.concat(queued.filter((p) => !seen.has(p.seq))).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

const EVENTS = new Set(['started', 'ended', 'overdue', 'overdue_prompt', 'silent', 'back', 'checked_in', 'alarm', 'media', 'guardian_removed', 'expired']);
function eventText(e) {
  if (!EVENTS.has(e.type)) return e.type;
  return t('gd.ev.' + e.type, { kind: t('gd.kind.' + (e.data?.kind || 'photo')) });
}

// ---- a guardian -----------------------------------------------------------------

let centers = null;
function centerName(code) {
  if (!centers) {
    centers = api.get('/api/v1/centers').then((r) => new Map((r.centers || []).map((c) => [c.code, c.name]))).catch(() => new Map());
  }
  return centers.then((m) => m.get(code) || code);
}

function guardian(ctx, first) {
  let trip = first;
  let st = { points: [], media: [], events: [] };
  let raised = null;
  const phone = prettyPhone(trip.traveller_phone);
  const mapEl = h('div', { class: 'gd-map', 'data-testid': 'gd-map' });
  const fp = firstPosition(trip.last);
  const tm = tripMap(mapEl, { signal: ctx.signal, boundary: fp.promise.then((p) => cityOf(api, p, ctx.signal)) });
  ctx.onLeave(() => tm.remove());
  const status = h('p', { class: 'gd-live', 'data-testid': 'gd-feed-status' });
  const flags = h('div', { class: 'gd-flags', 'data-testid': 'gd-flags' });
  const head = h('section', { class: 'gd-card gd-trip-head', 'data-testid': 'gd-trip-head' });
  const last = h('p', { class: 'gd-last', 'data-testid': 'gd-last' });
  const mediaBox = h('section', { class: 'gd-card', 'data-testid': 'gd-media' });
  const alarmBox = h('div', { 'data-testid': 'gd-alarm-box' });
  const eventsBox = h('section', { class: 'gd-card', 'data-testid': 'gd-events' });

  function drawLast() {
    const lp = trip.last || st.points[st.points.length - 1];
    if (!lp) {
      mount(last, t('gd.noPosition'));
      return;
    }
    last.dataset.points = String(st.points.length);
    last.dataset.lat = lp.lat.toFixed(5);
    last.dataset.lng = lp.lng.toFixed(5);
    mount(last, icon('pin', { size: 20 }), h('span', { class: 'gd-last-text' },
      h('b', { class: 'mono' }, `${lp.lat.toFixed(5)}, ${lp.lng.toFixed(5)}`),
      h('small', null, t('gd.lastSeen', { at: fmtTime(lp.at) + ' · ' + fmtAgo(lp.at), acc: Math.round(lp.accuracy_m || 0) }),
        ' · ', t('gd.points', { n: st.points.length }))));
  }

  function draw() {
    const fl = [];
    if (trip.state !== 'active') fl.push(h('span', { class: 'gd-flag ok', 'data-flag': 'ended' }, t('gd.ended'), trip.ended_at ? ' · ' + fmtShort(trip.ended_at) : ''));
    if (trip.overdue && trip.state === 'active') fl.push(h('span', { class: 'gd-flag warn', 'data-flag': 'overdue' }, t('gd.flag.overdue')));
    if (trip.silent && trip.state === 'active') fl.push(h('span', { class: 'gd-flag warn', 'data-flag': 'silent' }, t('gd.flag.silent')));
    for (const a of trip.alarms || []) fl.push(h('span', { class: 'gd-flag alarm', 'data-flag': 'alarm' }, t('gd.ev.alarm'), ' · ', fmtTime(a.at)));
    mount(flags, fl);
    mount(head, infoLines(trip));
    drawLast();
    mount(mediaBox, h('h2', { class: 'gd-h2' }, t('gd.media')), mediaList(st, trip.id, ctx.signal));
    const evs = st.events.slice().reverse().slice(0, 30);
    mount(eventsBox, h('h2', { class: 'gd-h2' }, t('gd.events')),
      h('ol', { class: 'gd-events' }, evs.map((e) => h('li', { 'data-type': e.type },
        h('time', { class: 'mono' }, fmtTime(e.at)), ' ', eventText(e)))));
    if (!alarmBox.querySelector('.gd-confirm')) drawAlarm();
  }

  function drawAlarm() {
    if (raised) {
      mount(alarmBox, h('section', { class: 'gd-raised', 'data-testid': 'gd-alarm-raised', role: 'status' },
        icon('check', { size: 26 }),
        h('div', null, h('p', { class: 'gd-raised-title' }, t('gd.alarmRaised', { center: raised.centerName || raised.center })),
          h('p', { class: 'small' }, t('gd.alarmRaisedSub')))));
      return;
    }
    mount(alarmBox, h('button', { type: 'button', class: 'gd-sos', 'data-action': 'alarm-for', onclick: ask },
      h('span', { class: 'gd-sos-big' }, t('gd.alarmFor')), h('span', { class: 'gd-sos-sub' }, phone)));
  }

  function ask() {
    mount(alarmBox, confirmBox({
      question: t('gd.alarmForQ', { phone }), hint: t('gd.alarmForHint'), yes: t('gd.alarmForYes'), testid: 'gd-alarm-confirm',
      onNo: drawAlarm,
      onYes: async (btn) => {
        try {
          const r = await api.post(`/api/v1/trips/${encodeURIComponent(trip.id)}/alarms`, {});
          raised = { ...r, centerName: await centerName(r.center) };
          drawAlarm();
        } catch (e) {
          btn.disabled = false;
          toast(errorText(e), 'error');
        }
      },
    }));
  }

  const feed = tripFeed(trip.id, {
    onChange: (s) => {
      st = s;
      if (s.trip) trip = { ...trip, ...s.trip };
      fp.offer(s.points[0]);
      tm.draw(s.points, trip.last);
      draw();
    },
    onStatus: (s) => {
      status.dataset.status = s;
      mount(status, h('span', { class: 'gd-dot' }), s === 'open' ? t('gd.live') : t('gd.reconnecting'));
    },
    onGone: () => {
      feed?.close();
      ctx.shell.toast(t('gd.tripNotFound'), 'error');
      ctx.shell.navigate('/guardian', { replace: true });
    },
  });
  ctx.onLeave(() => feed.close());
  const ago = setInterval(drawLast, 15000);
  ctx.onLeave(() => clearInterval(ago));
  draw();

  return screen({ title: t('gd.watchTitle', { phone }), back: '/guardian', class: 'gd gd-watch' },
    h('div', { class: 'gd-watch-top' }, status, flags),
    head, mapEl, last, alarmBox, mediaBox, eventsBox, emergencyBar({ compact: true }));
}

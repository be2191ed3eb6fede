// The alarm view (#/alarms/<id>): who, where and what — the map with the
// confirmed position, the trail of updates and their accuracy circles on
// our own unit outlines; a new position shown beside the confirmed one
// until the dispatcher accepts it (never moved silently); the chat with
// quick phrases and delivered/read marks; the incident record (category,
// priority, address, notes, units with times), transfer with a note, close
// with a disposition, EIDO export. Live over /api/v1/alarms/{id}/feed.
// Other features add panels through ./panels.js.

import { h, mount, icon, errorText } from '../../../shared/ui.js';
import { t, fmtTime, fmtDateTime } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';
import { connect } from '../../../shared/ws.js';
import { createMap, L } from '../../../shared/map.js';
import { kindTag, stateTag, since, fmtDur, waitClass, fmtPos, loadCSS, prettyPhone, label, download, distanceM } from './common.js';
import { answer, suspicionMarks } from './queue.js';
import { mountPanels } from './panels.js';
import * as store from './store.js';

const CATEGORIES = ['刑事', '治安', '交通', '火灾', '求助', '纠纷', '其他'];
const DISPOSITIONS = ['resolved', 'dispatched', 'advice', 'referred', 'duplicate', 'prank', 'invalid', 'no_contact', 'callback_ok'];

function notFound(id) {
  return h('section', { class: 'panel', 'data-testid': 'alarm-not-found' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('al.notFoundTitle'))),
    h('div', { class: 'empty' }, icon('info', { size: 40 }), h('p', { class: 'empty-title' }, t('al.notFound')),
      h('p', { class: 'muted mono' }, id), h('a', { class: 'btn', href: '#/queue' }, t('al.backToQueue'))));
}

export async function renderAlarm(ctx) {
  loadCSS();
  const id = ctx.params.id;
  const me = ctx.shell.me();
  let alarm;
  try {
    alarm = await api.get('/api/v1/alarms/' + encodeURIComponent(id), { signal: ctx.signal });
  } catch (e) {
    if (e.status === 404 || e.code === 'alarm_not_found') return notFound(id);
    return h('section', { class: 'panel' }, h('p', { class: 'form-msg panel-body' }, errorText(e)));
  }

  const st = { alarm, messages: new Map(), positions: [], incident: null, dirty: false, cursor: null, acked: 0 };
  const isAnswerer = () => st.alarm.state === 'answered' && st.alarm.answered_by === me.username;
  const canRecord = () => isAnswerer() || (me.role === 'supervisor' && st.alarm.state === 'answered') ||
    ['queued', 'abandoned', 'closed'].includes(st.alarm.state);
  const eventSubs = new Set();
  let sock = null; // the alarm's live feed (below)
  let ext = null; // the other features' panels (below)

  // ---- header --------------------------------------------------------------
  const head = h('header', { class: 'al-head', 'data-testid': 'alarm-head' });
  const drawHead = () => {
    const a = st.alarm;
    const actions = [];
    if (a.state === 'queued' && ctx.shell.hasRole('dispatcher', 'supervisor')) {
      actions.push(h('button', { type: 'button', class: 'btn danger', 'data-action': 'answer', onclick: (ev) => answer(ctx.shell, a.id, ev.currentTarget) }, t('al.answer')));
    }
    if (isAnswerer()) {
      actions.push(h('button', { type: 'button', class: 'btn', 'data-action': 'release', onclick: release }, t('al.release')));
    }
    actions.push(h('button', { type: 'button', class: 'btn', 'data-action': 'eido', title: t('al.eidoHint'),
      onclick: () => download(`/api/v1/alarms/${a.id}/incident/eido`, `eido-${a.id}.json`).catch((e) => ctx.shell.toast(errorText(e), 'error')) },
    icon('audit', { size: 16 }), t('al.eido')));
    const timing = [h('span', null, t('al.raisedAt', { at: fmtTime(a.raised_at) }))];
    if (a.state === 'queued') timing.push(h('span', { class: ['al-wait', 'mono'], 'data-wait': a.queued_at || a.raised_at }, ''));
    if (a.answered_at) timing.push(h('span', null, t('al.answeredAt', { at: fmtTime(a.answered_at), who: a.answered_by || '' })));
    if (a.ended_at) timing.push(h('span', null, t('al.endedAt', { at: fmtTime(a.ended_at) })));
    if (a.disposition) timing.push(h('span', { 'data-testid': 'disposition' }, t('al.dispositionIs', { d: label('dispo', a.disposition) })));
    mount(head,
      h('div', { class: 'al-head-main' },
        kindTag(a.kind),
        h('h1', null, t('al.alarmTitle'), ' ', h('span', { class: 'mono' }, a.id.slice(-8))),
        stateTag(a.state),
        suspicionMarks(a),
        h('span', { class: 'al-spacer' }),
        actions),
      h('div', { class: 'al-head-facts' },
        h('span', { 'data-testid': 'alarm-center' }, icon('badge', { size: 16 }), a.center?.name || a.center?.code),
        a.caller_phone ? h('span', { class: 'mono', 'data-testid': 'caller-phone' }, icon('phone', { size: 16 }), prettyPhone(a.caller_phone)) : null,
        a.overflow ? h('span', { class: 'al-mark m-overflow' }, t('al.overflow', { n: a.overflow })) : null,
        a.routing?.by ? h('span', { class: 'muted', title: a.routing.reason || '' }, t('al.routedBy.' + a.routing.by),
          ['own_center', 'city_fallback'].includes(a.routing.reason) ? ' · ' + t('al.reason.' + a.routing.reason) : '') : null,
        timing));
    tickHead();
  };
  const tickHead = () => {
    const el = head.querySelector('[data-wait]');
    if (el) {
      const s = since(el.dataset.wait);
      el.textContent = t('al.waiting', { d: fmtDur(s) });
      el.className = 'al-wait mono ' + waitClass(s);
    }
  };

  async function release() {
    try {
      const a = await api.post(`/api/v1/alarms/${id}/release`, { reason: 'released' });
      store.put(a);
      ctx.shell.navigate('/queue');
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    }
  }

  // ---- map and location -----------------------------------------------------
  // The height is inline: Leaflet measures the box when the map is made,
  // which may be before alarm.css has arrived.
  const mapEl = h('div', { class: 'al-map', 'data-testid': 'alarm-map', style: 'height: 300px' });
  const locBox = h('div', { class: 'panel-body al-loc', 'data-testid': 'location' });
  let map = null;
  let layer = null;
  let viewed = false;
  const drawMap = () => {
    if (!map) return;
    layer.clearLayers();
    const a = st.alarm;
    const fixes = st.positions;
    if (fixes.length > 1) {
      L.polyline(fixes.map((f) => [f.lat, f.lng]), { color: '#0b3d91', weight: 2, dashArray: '4 4', opacity: 0.8 }).addTo(layer);
    }
    const latest = fixes[fixes.length - 1];
    for (const f of fixes) {
      if (f.seq === a.location_seq || f === latest) continue;
      L.circle([f.lat, f.lng], { radius: f.accuracy_m || 0, color: '#0b3d91', weight: 1, opacity: 0.4, fillOpacity: 0.04 }).addTo(layer);
      L.circleMarker([f.lat, f.lng], { radius: 3, color: '#0b3d91', weight: 1, fillColor: '#0b3d91', fillOpacity: 0.8 })
        .bindTooltip(`#${f.seq} ${fmtTime(f.at)} ±${Math.round(f.accuracy_m)} m`).addTo(layer);
    }
    if (latest && latest.seq !== a.location_seq) {
      L.circle([latest.lat, latest.lng], { radius: latest.accuracy_m || 0, color: '#a15c00', weight: 1.5, dashArray: '3 3', fillOpacity: 0.1 }).addTo(layer);
      L.circleMarker([latest.lat, latest.lng], { radius: 7, color: '#fff', weight: 2, fillColor: '#e08a00', fillOpacity: 1 })
        .bindTooltip(t('al.newPosition'), { permanent: true, direction: 'right', className: 'al-tip-new' }).addTo(layer);
    }
    if (a.location) {
      L.circle([a.location.lat, a.location.lng], { radius: a.location.accuracy_m || 0, color: '#c4161c', weight: 1.5, fillOpacity: 0.15 }).addTo(layer);
      L.circleMarker([a.location.lat, a.location.lng], { radius: 8, color: '#fff', weight: 2.5, fillColor: '#c4161c', fillOpacity: 1 })
        .bindTooltip(t('al.confirmedPosition'), { direction: 'top' }).addTo(layer);
    }
    // The first view shows the caller with the trail; afterwards the map
    // stays where the dispatcher put it.
    const pts = fixes.map((f) => [f.lat, f.lng]);
    if (a.location) pts.push([a.location.lat, a.location.lng]);
    if (!viewed && pts.length) {
      viewed = true;
      const b = L.latLngBounds(pts);
      // Zoom 13 keeps the unit's outline in sight; "定位报警人" zooms in.
      if (b.getNorthEast().distanceTo(b.getSouthWest()) < 200) map.setView(b.getCenter(), 13, { animate: false });
      else map.fitBounds(b, { padding: [40, 40], maxZoom: 14, animate: false });
    }
  };
  const focusCaller = () => {
    const p = st.alarm.location || st.positions[st.positions.length - 1];
    if (map && p) map.setView([p.lat, p.lng], Math.max(map.getZoom() + 1, 16));
  };
  const drawLoc = () => {
    const a = st.alarm;
    const latest = st.positions[st.positions.length - 1];
    const pending = latest && latest.seq !== a.location_seq && a.latest_position_seq > a.location_seq ? latest : null;
    const confirmedFix = st.positions.find((f) => f.seq === a.location_seq);
    mount(locBox,
      h('div', { class: 'al-loc-row' }, h('span', { class: 'al-dot red' }), h('b', null, t('al.confirmedPosition')),
        h('span', { class: 'mono', 'data-testid': 'confirmed-position' }, fmtPos(a.location)),
        a.location?.source ? h('span', { class: 'muted small' }, a.location.source) : null,
        confirmedFix ? h('span', { class: 'muted small' }, fmtTime(confirmedFix.at)) : null,
        h('span', { class: 'al-spacer' }),
        h('button', { type: 'button', class: 'btn small', 'data-action': 'focus-caller', onclick: focusCaller }, icon('pin', { size: 14 }), t('al.focus'))),
      pending ? h('div', { class: 'al-newpos', 'data-testid': 'new-position', role: 'status' },
        h('span', { class: 'al-dot amber' }), h('b', null, t('al.newPosition')),
        h('span', { class: 'mono' }, fmtPos(pending)),
        h('span', { class: 'muted small' }, fmtTime(pending.at)),
        a.location ? h('span', { class: 'small' }, t('al.moved', { m: Math.round(distanceM(a.location, pending)) })) : null,
        h('button', { type: 'button', class: 'btn primary small', 'data-action': 'accept-position', onclick: (ev) => accept(pending.seq, ev.currentTarget) }, t('al.accept'))) : null,
      st.positions.length
        ? h('details', { class: 'al-trail' }, h('summary', null, t('al.trail', { n: st.positions.length })),
          h('ol', { reversed: true }, st.positions.slice().reverse().slice(0, 30).map((f) => h('li', { class: f.seq === a.location_seq ? 'confirmed' : null },
            h('span', { class: 'mono' }, fmtTime(f.at)), ' ', h('span', { class: 'mono' }, fmtPos(f)),
            f.seq === a.location_seq ? h('b', null, ' ✓') : h('button', { type: 'button', class: 'linklike', onclick: (ev) => accept(f.seq, ev.currentTarget) }, t('al.useThis'))))))
        : h('p', { class: 'muted small' }, t('al.noTrail')));
  };
  async function accept(seq, btn) {
    if (btn) btn.disabled = true;
    try {
      const a = await api.post(`/api/v1/alarms/${id}/positions/${seq}/accept`, null);
      setAlarm(a);
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
      if (btn) btn.disabled = false;
    }
  }
  const startMap = async () => {
    // Leaflet measures its container: create the map once the view is in the page.
    for (let i = 0; i < 50 && !mapEl.isConnected; i++) await new Promise((r) => requestAnimationFrame(r));
    if (ctx.signal.aborted) return;
    try {
      // With a position the map opens on it (createMap then does not fit the
      // outline, whose zoom animation would undo our view); else on the unit.
      const loc = st.alarm.location;
      const m = await createMap(mapEl, { boundary: st.alarm.center?.code || '130000', signal: ctx.signal,
        ...(loc ? { center: [loc.lat, loc.lng], zoom: 13 } : {}) });
      if (ctx.signal.aborted) {
        m.remove();
        return;
      }
      map = m;
      map.invalidateSize();
      layer = L.layerGroup().addTo(map);
      drawMap();
      const ro = new ResizeObserver(() => map?.invalidateSize());
      ro.observe(mapEl);
      ctx.onLeave(() => ro.disconnect());
    } catch (e) {
      console.warn('alarm map', e);
    }
  };
  ctx.onLeave(() => map?.remove());

  // ---- chat -------------------------------------------------------------------
  const list = h('ol', { class: 'al-msgs', 'data-testid': 'chat-log', 'aria-live': 'polite' });
  const input = h('textarea', { class: 'input', rows: 2, maxlength: '2000', 'data-testid': 'chat-input', name: 'message' });
  const sendBtn = h('button', { type: 'submit', class: 'btn primary', 'data-action': 'send' }, t('al.send'));
  const phrasesBox = h('div', { class: 'al-phrases', 'data-testid': 'phrases' });
  const chatStatus = h('span', { class: 'muted small', 'data-testid': 'chat-status' });
  const mark = (m) => {
    if (m.send_error) return h('span', { class: 'al-rcpt err' }, t('al.sendFailed'));
    if (m.read_at) return h('span', { class: 'al-rcpt read', 'data-receipt': 'read', title: fmtDateTime(m.read_at) }, '✓✓ ', t('al.read'));
    if (m.delivered_at) return h('span', { class: 'al-rcpt', 'data-receipt': 'delivered', title: fmtDateTime(m.delivered_at) }, '✓✓ ', t('al.delivered'));
    return h('span', { class: 'al-rcpt', 'data-receipt': 'sent' }, '✓ ', t('al.sent'));
  };
  const who = (m) => (m.from === 'caller' ? t('al.caller') : m.from === 'system' ? t('al.system') : (m.sender || t('al.dispatcher')));
  const drawChat = () => {
    const ms = [...st.messages.values()].sort((a, b) => a.seq - b.seq);
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    mount(list, ms.length ? ms.map((m) => h('li', { class: ['al-msg', 'from-' + m.from], 'data-seq': m.seq, 'data-from': m.from },
      h('div', { class: 'al-bubble' }, m.text),
      h('div', { class: 'al-meta' }, who(m), ' · ', fmtTime(m.at), m.channel === 'sms' ? ' · ' + t('al.viaSMS') : '', m.from === 'dispatcher' ? [' ', mark(m)] : null)))
      : h('li', { class: 'al-msg-empty muted' }, t('al.noMessages')));
    if (atBottom || ms.length) list.scrollTop = list.scrollHeight;
    const can = isAnswerer();
    input.disabled = !can;
    sendBtn.disabled = !can;
    for (const b of phrasesBox.querySelectorAll('button')) b.disabled = !can;
    input.placeholder = can ? t('al.typeHint') : t('al.answerFirst');
    ackRead();
  };
  async function send(text) {
    text = text.trim();
    if (!text) return;
    sendBtn.disabled = true;
    try {
      const m = await api.post(`/api/v1/alarms/${id}/messages`, { text });
      st.messages.set(m.seq, { ...st.messages.get(m.seq), ...m });
      if (text === input.value.trim()) input.value = '';
      drawChat();
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    } finally {
      sendBtn.disabled = !isAnswerer();
    }
  }
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send(input.value);
    }
  });
  const chatForm = h('form', { class: 'al-compose', noValidate: true, onsubmit: (ev) => { ev.preventDefault(); send(input.value); } }, input, sendBtn);
  api.get('/api/v1/alarms/phrases', { signal: ctx.signal }).then((res) => {
    mount(phrasesBox, (res.phrases || []).map((p, i) => h('button', { type: 'button', class: 'al-phrase', 'data-phrase': String(i), title: p, disabled: !isAnswerer(), onclick: () => send(p) }, p)));
  }).catch(() => {});

  // Read receipts: the answering dispatcher has seen the caller's messages
  // once they are on screen (the server ignores acks from anyone else).
  function ackRead() {
    if (!isAnswerer() || document.hidden) return;
    let upto = 0;
    for (const m of st.messages.values()) if (m.from === 'caller' && !m.read_at && m.seq > upto) upto = m.seq;
    if (upto <= st.acked) return;
    if (sock?.send({ type: 'ack', delivered_upto: upto, read_upto: upto })) st.acked = upto;
  }
  const onVisible = () => ackRead();
  document.addEventListener('visibilitychange', onVisible);
  ctx.onLeave(() => document.removeEventListener('visibilitychange', onVisible));

  // ---- incident record -----------------------------------------------------
  const f = {
    category: h('select', { class: 'input', name: 'category', 'data-testid': 'inc-category' }, h('option', { value: '' }, t('al.inc.uncategorised')), CATEGORIES.map((c) => h('option', { value: c }, label('cat', c)))),
    priority: h('select', { class: 'input', name: 'priority', 'data-testid': 'inc-priority' }, [0, 1, 2, 3, 4].map((p) => h('option', { value: String(p) }, t('al.inc.prio' + p)))),
    address: h('input', { class: 'input', name: 'address', maxlength: '500', 'data-testid': 'inc-address', placeholder: t('al.inc.addressHint') }),
    notes: h('textarea', { class: 'input', name: 'notes', rows: 3, maxlength: '10000', 'data-testid': 'inc-notes' }),
  };
  const touched = () => { st.dirty = true; saveMsg.textContent = t('al.inc.unsaved'); };
  for (const el of Object.values(f)) {
    el.addEventListener('input', touched);
    el.addEventListener('change', touched);
  }
  const saveMsg = h('span', { class: 'muted small', 'data-testid': 'inc-saved' });
  const saveBtn = h('button', { type: 'submit', class: 'btn primary', 'data-action': 'save-incident' }, t('al.inc.save'));
  const fill = (inc) => {
    f.category.value = inc.category || '';
    f.priority.value = String(inc.priority || 0);
    f.address.value = inc.address || '';
    f.notes.value = inc.notes || '';
    st.dirty = false;
    saveMsg.textContent = inc.updated_at ? t('al.inc.savedAt', { at: fmtTime(inc.updated_at), who: inc.updated_by || '' }) : '';
  };
  async function saveIncident() {
    const body = { category: f.category.value, priority: Number(f.priority.value), address: f.address.value.trim(), notes: f.notes.value.trim() };
    const inc = await api.put(`/api/v1/alarms/${id}/incident`, body);
    st.incident = inc;
    fill(inc);
    drawUnits();
    return inc;
  }
  const incForm = h('form', { class: 'form al-inc', noValidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    saveBtn.disabled = true;
    try {
      await saveIncident();
      ctx.shell.toast(t('al.inc.saved'), 'ok');
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    } finally {
      saveBtn.disabled = false;
    }
  } },
  h('div', { class: 'al-inc-row' }, lab(t('al.inc.category'), f.category), lab(t('al.inc.priority'), f.priority)),
  lab(t('al.inc.address'), f.address),
  lab(t('al.inc.notes'), f.notes),
  h('div', { class: 'al-inc-row end' }, saveMsg, saveBtn));

  const unitsBox = h('div', { class: 'al-units', 'data-testid': 'units' });
  const unitIn = h('input', { class: 'input', name: 'unit', maxlength: '100', placeholder: t('al.unit.hint'), 'data-testid': 'unit-name' });
  const unitNote = h('input', { class: 'input', name: 'unit_note', maxlength: '500', placeholder: t('al.unit.note'), 'data-testid': 'unit-note' });
  const drawUnits = () => {
    const us = st.incident?.units || [];
    mount(unitsBox, us.length ? h('table', { class: 'table al-units-t' },
      h('thead', null, h('tr', null, h('th', null, t('al.unit.name')), h('th', null, t('al.unit.dispatched')), h('th', null, t('al.unit.arrived')), h('th', null, t('al.unit.cleared')))),
      h('tbody', null, us.map((u) => h('tr', { 'data-unit': u.id },
        h('td', null, h('b', null, u.unit), u.note ? h('div', { class: 'muted small' }, u.note) : null),
        h('td', { class: 'mono' }, fmtTime(u.dispatched_at)),
        h('td', { class: 'mono' }, u.arrived_at ? fmtTime(u.arrived_at) : h('button', { type: 'button', class: 'btn small', 'data-action': 'unit-arrived', onclick: () => unitStatus(u.id, 'arrived') }, t('al.unit.markArrived'))),
        h('td', { class: 'mono' }, u.cleared_at ? fmtTime(u.cleared_at) : h('button', { type: 'button', class: 'btn small', 'data-action': 'unit-cleared', onclick: () => unitStatus(u.id, 'cleared') }, t('al.unit.markCleared')))))))
      : h('p', { class: 'muted small' }, t('al.unit.none')));
  };
  async function reloadIncident() {
    try {
      st.incident = await api.get(`/api/v1/alarms/${id}/incident`, { signal: ctx.signal });
      if (!st.dirty) fill(st.incident);
      drawUnits();
    } catch (e) {
      if (!ctx.signal.aborted) console.warn('incident', e);
    }
  }
  async function unitStatus(unitId, status) {
    try {
      await api.post(`/api/v1/alarms/${id}/incident/units/${unitId}/status`, { status });
      reloadIncident();
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    }
  }
  const unitForm = h('form', { class: 'al-unit-form', noValidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    if (!unitIn.value.trim()) {
      unitIn.focus();
      return;
    }
    try {
      await api.post(`/api/v1/alarms/${id}/incident/units`, { unit: unitIn.value.trim(), note: unitNote.value.trim() });
      unitIn.value = '';
      unitNote.value = '';
      reloadIncident();
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    }
  } }, unitIn, unitNote, h('button', { type: 'submit', class: 'btn', 'data-action': 'dispatch-unit' }, t('al.unit.dispatch')));

  // ---- close and transfer ----------------------------------------------------
  const dispo = h('select', { class: 'input', name: 'disposition', 'data-testid': 'disposition-select' }, DISPOSITIONS.map((d) => h('option', { value: d }, label('dispo', d))));
  const closeBtn = h('button', { type: 'button', class: 'btn danger', 'data-action': 'close-alarm', onclick: async () => {
    closeBtn.disabled = true;
    try {
      if (st.dirty) await saveIncident();
      const a = await api.post(`/api/v1/alarms/${id}/end`, { disposition: dispo.value });
      setAlarm(a);
      ctx.shell.toast(t('al.closed'), 'ok');
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    } finally {
      drawClose();
    }
  } }, t('al.close'));
  const centerSel = h('select', { class: 'input', name: 'center', 'data-testid': 'transfer-center' }, h('option', { value: '' }, t('al.tr.choose')));
  const trNote = h('input', { class: 'input', name: 'note', maxlength: '500', placeholder: t('al.tr.noteHint'), 'data-testid': 'transfer-note' });
  let centersLoaded = false;
  const trBox = h('details', { class: 'al-transfer', ontoggle: async (ev) => {
    if (!ev.currentTarget.open || centersLoaded) return;
    centersLoaded = true;
    try {
      const res = await api.get('/api/v1/centers', { signal: ctx.signal });
      for (const c of (res.centers || []).filter((c) => c.active && c.code !== st.alarm.center?.code)) centerSel.appendChild(h('option', { value: c.code }, `${c.name}（${c.code}）`));
    } catch (e) {
      centersLoaded = false;
      ctx.shell.toast(errorText(e), 'error');
    }
  } },
  h('summary', null, t('al.tr.title')),
  h('form', { class: 'al-tr-form', noValidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    if (!centerSel.value || !trNote.value.trim()) {
      ctx.shell.toast(t('al.tr.need'), 'error');
      return;
    }
    try {
      if (st.dirty) await saveIncident();
      const a = await api.post(`/api/v1/alarms/${id}/transfer`, { center: centerSel.value, note: trNote.value.trim() });
      store.put(a);
      ctx.shell.toast(t('al.tr.done', { name: a.center?.name || centerSel.value }), 'ok');
      ctx.shell.navigate('/queue');
    } catch (e) {
      ctx.shell.toast(errorText(e), 'error');
    }
  } }, centerSel, trNote, h('button', { type: 'submit', class: 'btn', 'data-action': 'transfer' }, t('al.tr.go'))));
  const closeBox = h('div', { class: 'panel-body al-close', 'data-testid': 'close-box' });
  const drawClose = () => {
    const a = st.alarm;
    const open = a.state === 'answered' || a.state === 'abandoned' || a.state === 'queued';
    closeBtn.disabled = !(isAnswerer() || a.state === 'abandoned' || (me.role === 'supervisor' && a.state === 'answered'));
    if (!open) {
      mount(closeBox, h('p', { class: 'al-over' }, stateTag(a.state), ' ', a.disposition ? label('dispo', a.disposition) : '', a.ended_at ? ' · ' + fmtTime(a.ended_at) : ''),
        h('a', { class: 'btn', href: '#/queue' }, t('al.backToQueue')));
      return;
    }
    mount(closeBox, h('div', { class: 'al-inc-row' }, lab(t('al.disposition'), dispo), closeBtn), trBox);
  };

  const drawAll = () => {
    drawHead();
    drawLoc();
    drawMap();
    drawChat();
    drawClose();
    const can = canRecord();
    for (const el of [...Object.values(f), saveBtn, unitIn, unitNote]) el.disabled = !can;
    for (const b of unitForm.querySelectorAll('button')) b.disabled = !can;
    ext?.update(st.alarm);
  };
  function setAlarm(a) {
    if (!a || a.id !== id) return;
    if (st.alarm.cursor && a.cursor && a.cursor < st.alarm.cursor) return; // older news
    const wasMine = isAnswerer();
    st.alarm = a;
    store.put(a);
    drawAll();
    if (!wasMine && isAnswerer()) st.acked = 0;
  }

  // ---- live feed --------------------------------------------------------------
  const onEvent = (e) => {
    const d = e.data || {};
    switch (e.type) {
      case 'message':
      case 'message_status':
        if (d.message) st.messages.set(d.message.seq, { ...st.messages.get(d.message.seq), ...d.message });
        break;
      case 'receipt': {
        // The caller's client has the dispatcher's messages up to these seqs.
        if (d.by !== 'caller') break;
        for (const m of st.messages.values()) {
          if (m.from === 'caller') continue;
          if (m.seq <= d.delivered_upto && !m.delivered_at) m.delivered_at = e.at;
          if (m.seq <= d.read_upto && !m.read_at) m.read_at = e.at;
        }
        break;
      }
      case 'position':
        if (d.position && !st.positions.some((p) => p.seq === d.position.seq)) st.positions.push(d.position);
        break;
      case 'incident':
      case 'unit_dispatched':
      case 'unit_status':
      case 'callback':
        if (e.actor !== 'officer:' + me.username) reloadIncident();
        break;
      default:
    }
    if (e.alarm) {
      e.alarm.cursor = e.seq;
      setAlarm(e.alarm);
    } else {
      drawAll();
    }
    for (const fn of eventSubs) {
      try {
        fn(e);
      } catch (err) {
        console.error('alarm panel event', err);
      }
    }
  };
  sock = connect(`/api/v1/alarms/${encodeURIComponent(id)}/feed`, {
    query: () => (st.cursor === null ? {} : { cursor: st.cursor }),
    onMessage: (msg) => {
      if (msg.type === 'snapshot') {
        st.cursor = msg.cursor;
        for (const m of msg.messages || []) st.messages.set(m.seq, m);
        if (msg.alarm) setAlarm(msg.alarm);
        else drawAll();
      } else if (msg.type === 'event') {
        st.cursor = msg.event.seq;
        onEvent(msg.event);
      }
    },
    onOpen: ({ reconnected }) => {
      if (reconnected) {
        // The feed resumes from our cursor; re-read the trail as well, cheaply.
        api.get(`/api/v1/alarms/${id}/positions`, { signal: ctx.signal }).then((r) => { st.positions = r.positions || []; drawAll(); }).catch(() => {});
      }
    },
    onStatus: (s) => {
      chatStatus.textContent = s === 'open' ? '' : t('al.reconnecting');
    },
  });
  ctx.onLeave(() => sock.close());

  // ---- extension panels --------------------------------------------------------
  const cols = {
    map: h('div', { class: 'al-ext-col' }),
    chat: h('div', { class: 'al-ext-col' }),
    side: h('div', { class: 'al-ext-col' }),
  };
  const pctx = {
    alarmId: id, shell: ctx.shell, me, signal: ctx.signal, isAnswerer,
    onEvent: (fn) => { eventSubs.add(fn); return () => eventSubs.delete(fn); },
    refresh: async () => setAlarm(await api.get('/api/v1/alarms/' + id)),
  };
  ext = mountPanels(cols, pctx, st.alarm);
  ctx.onLeave(() => ext.destroy());

  // ---- first load -------------------------------------------------------------
  api.get(`/api/v1/alarms/${id}/positions`, { signal: ctx.signal }).then((r) => {
    // Merge with what the feed brought meanwhile.
    const bySeq = new Map(st.positions.map((p) => [p.seq, p]));
    for (const p of r.positions || []) bySeq.set(p.seq, p);
    st.positions = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    drawLoc();
    drawMap();
  }).catch(() => {});
  reloadIncident();
  const tick = setInterval(tickHead, 1000);
  ctx.onLeave(() => clearInterval(tick));
  startMap();
  drawAll();

  return h('div', { class: 'al-view', 'data-alarm': id },
    head,
    h('div', { class: 'al-grid' },
      h('div', { class: 'al-col' },
        h('section', { class: 'panel al-map-panel' }, h('header', { class: 'panel-hdr' }, h('h2', null, t('al.location'))), mapEl, locBox),
        cols.map),
      h('div', { class: 'al-col' },
        cols.chat,
        h('section', { class: 'panel al-chat', 'data-testid': 'chat' },
          h('header', { class: 'panel-hdr' }, h('h2', null, t('al.chat')), chatStatus),
          list, phrasesBox, chatForm)),
      h('div', { class: 'al-col' },
        h('section', { class: 'panel', 'data-testid': 'incident' },
          h('header', { class: 'panel-hdr' }, h('h2', null, t('al.inc.title'))),
          h('div', { class: 'panel-body' }, incForm,
            h('h3', { class: 'al-sub' }, t('al.unit.title')), unitsBox, unitForm)),
        h('section', { class: 'panel' }, h('header', { class: 'panel-hdr' }, h('h2', null, t('al.closeTitle'))), closeBox),
        cols.side)));
}

function lab(text, input) {
  const id = 'al' + Math.random().toString(36).slice(2, 8);
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, text), input);
}

// 寻人启事 (missing persons), citizen side: the public feed and notice
// (signed out too), sending a sighting, the family's submission and their
// notices with progress, area-alert settings and the alert inbox. Live
// wake-ups come over /api/v1/missing/live; the screens re-read over HTTP.

import { h, screen, emergencyBar, icon, field, errorText, toast } from '../../shared/ui.js';
import { t, fmtDateTime, fmtAgo } from '../../shared/i18n.js';
import { api, request, token } from '../../shared/api.js';
import { connect } from '../../shared/ws.js';
import { navigate } from '../../shared/router.js';

document.head.appendChild(h('style', null, `
.mp-actions { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0 12px; }
.mp-actions .btn { flex: 1 1 30%; min-width: 96px; }
.mp-filter { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin-bottom: 10px; }
.mp-filter select, .mp-filter input { width: auto; flex: 1 1 90px; }
.mp-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
.mp-card { display: flex; gap: 10px; padding: 10px; border: 1px solid #d6dde8; border-radius: 10px; background: #fff; color: inherit; text-decoration: none; }
.mp-card img, .mp-noimg { width: 72px; height: 88px; object-fit: cover; border-radius: 6px; background: #e8edf4; flex: none; display: flex; align-items: center; justify-content: center; }
.mp-card h3 { margin: 0 0 4px; font-size: 17px; }
.mp-card p { margin: 2px 0; font-size: 14px; color: #445; }
.mp-state { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 10px; background: #e8edf4; margin-left: 6px; vertical-align: middle; }
.mp-state.published { background: #fde2e2; color: #a11; }
.mp-state.closed { background: #dff3e4; color: #165c2c; }
.mp-state.rejected { background: #f1f1f1; color: #666; }
.mp-photos { display: flex; gap: 6px; overflow-x: auto; margin: 8px 0; }
.mp-photos img, .mp-photos video { height: 160px; border-radius: 8px; }
.mp-dl { display: grid; grid-template-columns: 6.5em 1fr; gap: 4px 8px; margin: 8px 0; font-size: 15px; }
.mp-dl dt { color: #667; } .mp-dl dd { margin: 0; }
.mp-closure { padding: 14px; border-radius: 10px; background: #dff3e4; color: #123; font-size: 16px; }
.mp-closure.hoax { background: #f6e7d8; }
.mp-box { padding: 12px; border: 1px solid #d6dde8; border-radius: 10px; margin: 12px 0; background: #fafcff; }
.mp-inbox li.unread .mp-card { border-color: #c22; box-shadow: 0 0 0 1px #c22 inset; }
.mp-row { display: flex; gap: 8px; } .mp-row > * { flex: 1; }
.mp-check { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
`));

const CITIES = ['130100', '130200', '130300', '130400', '130500', '130600', '130700', '130800', '130900', '131000', '131100'];
const RELATIONS = ['parent', 'child', 'spouse', 'sibling', 'grandparent', 'grandchild', 'relative', 'guardian'];

function stateTag(d) {
  const key = d.state === 'closed' && d.closure ? 'missing.outcome.' + d.closure.outcome : 'missing.state.' + d.state;
  return h('span', { class: ['mp-state', d.state], 'data-state': d.state }, t(key));
}

function personLine(p) {
  const parts = [];
  if (p.sex) parts.push(t('missing.sex.' + p.sex));
  if (p.age !== undefined && p.age !== null) parts.push(t('missing.ageN', { n: p.age }));
  if (p.height_cm) parts.push(p.height_cm + 'cm');
  return parts.join(' · ');
}

function card(d, href, extra) {
  const img = d.cover_url && d.state === 'published' ? h('img', { src: d.cover_url.replace('/missing/notices/', '/missing/public/'), alt: '' }) : h('div', { class: 'mp-noimg' }, icon('missing', { size: 30 }));
  return h('a', { class: 'mp-card', href: '#' + href, 'data-notice': d.id },
    img,
    h('div', null,
      h('h3', null, d.person?.name || t('missing.hidden'), stateTag(d)),
      d.state === 'closed' && d.closure ? h('p', null, d.closure.notice) : h('p', null, personLine(d.person || {})),
      d.last_seen ? h('p', null, t('missing.lastSeenShort', { at: fmtDateTime(d.last_seen.at), place: (d.last_seen.city?.name || '') + ' ' + (d.last_seen.place || '') })) : null,
      d.distance_km !== undefined && d.distance_km !== null ? h('p', null, t('missing.distance', { km: d.distance_km })) : null,
      extra || null));
}

function loadingOr(fn) {
  return fn().catch((e) => h('p', { class: 'form-msg', role: 'alert' }, errorText(e)));
}

// ---- The public feed ----------------------------------------------------

async function renderFeed(ctx) {
  const q = ctx.query;
  const list = h('ul', { class: 'mp-list', 'data-testid': 'missing-feed' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, t('missing.more'));
  let next = '';
  const query = { state: q.state || 'published', city: q.city || '', lat: q.lat || '', lng: q.lng || '', within_km: q.lat ? (q.km || '50') : '' };
  async function load() {
    const page = await api.get('/api/v1/missing/public', { query: { ...query, before: next }, signal: ctx.signal });
    for (const d of page.items) list.appendChild(h('li', null, card(d, '/missing/p/' + d.id)));
    if (!list.children.length) list.appendChild(h('li', { class: 'muted' }, t('missing.feedEmpty')));
    next = page.next || '';
    more.hidden = !next;
  }
  more.onclick = () => load().catch((e) => toast(errorText(e), 'error'));
  const city = h('select', { class: 'input', name: 'city', 'aria-label': t('missing.city') },
    h('option', { value: '' }, t('missing.allCities')),
    CITIES.map((c) => h('option', { value: c, selected: q.city === c }, t('missing.city.' + c))));
  const state = h('select', { class: 'input', name: 'state', 'aria-label': t('missing.show') },
    h('option', { value: 'published' }, t('missing.showOpen')),
    h('option', { value: 'closed', selected: q.state === 'closed' }, t('missing.showClosed')));
  const km = h('select', { class: 'input', name: 'km', 'aria-label': t('missing.near') },
    h('option', { value: '' }, t('missing.anyDistance')),
    ['10', '50', '100', '300'].map((k) => h('option', { value: k, selected: q.lat && (q.km || '50') === k }, t('missing.withinKm', { km: k }))));
  const apply = (extra = {}) => {
    const p = new URLSearchParams(Object.entries({ city: city.value, state: state.value, ...extra }).filter(([, v]) => v));
    navigate('/missing' + (p.toString() ? '?' + p : ''));
  };
  city.onchange = () => apply(q.lat ? { lat: q.lat, lng: q.lng, km: km.value } : {});
  state.onchange = city.onchange;
  km.onchange = () => {
    if (!km.value) return apply();
    // The point is chosen by the user for this search; it is not stored.
    navigator.geolocation?.getCurrentPosition(
      (p) => apply({ lat: p.coords.latitude.toFixed(3), lng: p.coords.longitude.toFixed(3), km: km.value }),
      () => toast(t('missing.noPosition'), 'error'), { maximumAge: 600000, timeout: 10000 });
  };
  const signed = !!token();
  const body = h('div', null,
    h('p', { class: 'muted' }, t('fn.missing.desc')),
    h('div', { class: 'mp-actions' },
      h('a', { class: 'btn primary', href: '#/missing/new', 'data-action': 'missing-new' }, t('missing.new')),
      signed ? h('a', { class: 'btn', href: '#/missing/mine', 'data-action': 'missing-mine' }, t('missing.mine')) : null,
      signed ? h('a', { class: 'btn', href: '#/missing/alerts', 'data-action': 'missing-alerts' }, t('missing.alerts')) : null),
    h('div', { class: 'mp-filter' }, state, city, km),
    list, more);
  await load().catch((e) => list.appendChild(h('li', { class: 'form-msg' }, errorText(e))));
  return screen({ title: t('fn.missing'), back: '/' }, body, emergencyBar({ compact: true }));
}

// ---- One public notice, share, sighting -----------------------------------

function mediaStrip(media) {
  if (!media?.length) return null;
  return h('div', { class: 'mp-photos' }, media.map((m) => m.kind === 'video'
    ? h('video', { src: m.url, controls: true, preload: 'metadata' })
    : h('img', { src: m.url, alt: '' })));
}

function details(d, opts = {}) {
  const p = d.person || {};
  const rows = [
    ['missing.name', p.name], ['missing.sexAge', personLine(p)], ['missing.build', p.build ? t('missing.build.' + p.build) : ''],
    ['missing.features', p.features], ['missing.clothing', p.clothing],
    ['missing.lastSeenAt', d.last_seen ? fmtDateTime(d.last_seen.at) : ''],
    ['missing.lastSeenPlace', d.last_seen ? [d.last_seen.city?.name, d.last_seen.county?.name, d.last_seen.place].filter(Boolean).join(' ') : ''],
    ['missing.unit', d.police?.unit?.name], ['missing.unitPhone', d.police?.phone],
  ];
  if (opts.private) rows.push(['missing.caseNumber', d.police?.case_number], ['missing.contact', d.initiator?.phone]);
  return h('dl', { class: 'mp-dl' }, rows.filter(([, v]) => v).map(([k, v]) => [h('dt', null, t(k)), h('dd', { 'data-field': k }, k === 'missing.unitPhone' ? h('a', { href: 'tel:' + v.replace(/[^0-9+]/g, '') }, v) : v)]));
}

function sightingForm(d) {
  const text = h('textarea', { class: 'input', name: 'sighting', rows: 3, maxlength: 2000, placeholder: t('missing.sightingHint') });
  const photo = h('input', { class: 'input', type: 'file', name: 'photo', accept: 'image/*' });
  const anon = h('input', { type: 'checkbox', name: 'anonymous', checked: !token(), disabled: !token() });
  let pos = null;
  const posBtn = h('button', { type: 'button', class: 'btn' }, icon('pin', { size: 18 }), t('missing.attachPosition'));
  posBtn.onclick = () => navigator.geolocation?.getCurrentPosition((p) => {
    pos = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy || 0) };
    posBtn.textContent = t('missing.positionAttached');
  }, () => toast(t('missing.noPosition'), 'error'), { timeout: 10000 });
  const msg = h('p', { class: 'form-msg', role: 'alert' });
  const send = h('button', { type: 'submit', class: 'btn primary block', 'data-action': 'send-sighting' }, t('missing.sendSighting'));
  async function onSubmit(ev) {
    ev.preventDefault();
    msg.textContent = '';
    send.disabled = true;
    const body = { text: text.value, anonymous: anon.checked };
    if (pos) body.position = pos;
    try {
      if (photo.files[0]) {
        const fd = new FormData();
        fd.append('sighting', JSON.stringify(body));
        fd.append('photo', photo.files[0]);
        await api.post('/api/v1/missing/public/' + d.id + '/sightings', fd);
      } else {
        await api.post('/api/v1/missing/public/' + d.id + '/sightings', body);
      }
      text.value = '';
      photo.value = '';
      msg.className = 'form-info';
      msg.textContent = t('missing.sightingSent');
    } catch (e) {
      msg.className = 'form-msg';
      msg.textContent = errorText(e);
    }
    send.disabled = false;
  }
  return h('form', { class: 'form mp-box', onsubmit: onSubmit, 'data-testid': 'sighting-form' },
    h('h2', null, t('missing.sightingTitle')),
    field(t('missing.sightingText'), text),
    field(t('missing.sightingPhoto'), photo),
    h('div', { class: 'mp-actions' }, posBtn),
    h('label', { class: 'mp-check' }, anon, t(token() ? 'missing.anonymous' : 'missing.anonymousSignedOut')),
    msg, send);
}

async function renderPublic(ctx) {
  return loadingOr(async () => {
    const d = await api.get('/api/v1/missing/public/' + encodeURIComponent(ctx.params.id), { signal: ctx.signal });
    const share = h('button', { type: 'button', class: 'btn', 'data-action': 'share' }, t('missing.share'));
    share.onclick = async () => {
      const url = location.origin + location.pathname + '#/missing/p/' + d.id;
      const title = t('missing.shareTitle', { name: d.person?.name || '' });
      try {
        if (navigator.share) await navigator.share({ title, url });
        else {
          await navigator.clipboard.writeText(url);
          toast(t('missing.linkCopied'), 'ok');
        }
      } catch { /* cancelled */ }
    };
    if (d.state === 'closed') {
      return screen({ title: t('missing.closureTitle'), back: '/missing' },
        h('div', { class: ['mp-closure', d.closure.outcome], 'data-testid': 'closure' },
          h('h2', null, d.person?.name || '', ' ', stateTag(d)), h('p', null, d.closure.notice), h('p', { class: 'muted' }, fmtDateTime(d.closure.at))),
        emergencyBar({ compact: true }));
    }
    return screen({ title: t('missing.noticeTitle'), back: '/missing', actions: share },
      h('div', { 'data-testid': 'public-notice' },
        h('h2', null, d.person.name, stateTag(d)),
        mediaStrip(d.media),
        details(d),
        h('p', { class: 'muted' }, t('missing.callUnit')),
        h('div', { class: 'mp-actions' }, h('a', { class: 'btn', href: 'tel:' + (d.police?.phone || '110').replace(/[^0-9+]/g, '') }, icon('phone', { size: 18 }), t('missing.callUnitBtn')), share.cloneNode(true))),
      sightingForm(d),
      emergencyBar({ compact: true }));
  });
}

// ---- The family: submit ---------------------------------------------------

function renderNew() {
  const inp = (name, attrs = {}) => h('input', { class: 'input', name, ...attrs });
  const f = {
    name: inp('name', { maxlength: 40, autocomplete: 'off' }),
    sex: h('select', { class: 'input', name: 'sex' }, h('option', { value: '' }, '—'), h('option', { value: 'male' }, t('missing.sex.male')), h('option', { value: 'female' }, t('missing.sex.female'))),
    age: inp('age', { type: 'number', min: 0, max: 130, inputmode: 'numeric' }),
    birth: inp('birth_date', { type: 'date' }),
    height: inp('height_cm', { type: 'number', min: 30, max: 250, inputmode: 'numeric' }),
    build: h('select', { class: 'input', name: 'build' }, h('option', { value: '' }, '—'), ['slim', 'medium', 'stout'].map((b) => h('option', { value: b }, t('missing.build.' + b)))),
    features: h('textarea', { class: 'input', name: 'features', rows: 2, maxlength: 1000 }),
    clothing: h('textarea', { class: 'input', name: 'clothing', rows: 2, maxlength: 1000 }),
    at: inp('last_seen_at', { type: 'datetime-local' }),
    place: inp('place', { maxlength: 200 }),
    lat: inp('lat', { inputmode: 'decimal', placeholder: '38.0428' }),
    lng: inp('lng', { inputmode: 'decimal', placeholder: '114.5149' }),
    unit: inp('unit', { inputmode: 'numeric', maxlength: 6, placeholder: '130102' }),
    unitPhone: inp('unit_phone', { type: 'tel', placeholder: '0311-86688110' }),
    caseNo: inp('case_number', { placeholder: 'A1301020000002025050001', autocapitalize: 'characters' }),
    relation: h('select', { class: 'input', name: 'relation' }, h('option', { value: '' }, '—'), RELATIONS.map((r) => h('option', { value: r }, t('missing.rel.' + r)))),
    initName: inp('initiator_name', { maxlength: 40 }),
    contact: inp('contact', { type: 'tel', placeholder: t('missing.contactDefault') }),
    address: inp('address', { maxlength: 200 }),
    files: h('input', { class: 'input', type: 'file', name: 'media', accept: 'image/*,video/*', multiple: true }),
  };
  const unitName = h('div', { class: 'field-hint', 'data-testid': 'unit-name' });
  f.unit.oninput = async () => {
    unitName.textContent = '';
    if (!/^\d{6}$/.test(f.unit.value)) return;
    try {
      const u = await api.get('/api/v1/jurisdictions/' + f.unit.value);
      unitName.textContent = u.name;
    } catch (e) {
      unitName.textContent = errorText(e);
    }
  };
  const here = h('button', { type: 'button', class: 'btn' }, icon('pin', { size: 18 }), t('missing.usePosition'));
  here.onclick = () => navigator.geolocation?.getCurrentPosition((p) => {
    f.lat.value = p.coords.latitude.toFixed(5);
    f.lng.value = p.coords.longitude.toFixed(5);
  }, () => toast(t('missing.noPosition'), 'error'), { timeout: 10000 });
  const msg = h('p', { class: 'form-msg', role: 'alert', 'data-testid': 'form-msg' });
  const submit = h('button', { type: 'submit', class: 'btn primary block', 'data-action': 'submit-notice' }, t('missing.submit'));
  async function onSubmit(ev) {
    ev.preventDefault();
    msg.textContent = '';
    const person = { name: f.name.value, sex: f.sex.value, features: f.features.value, clothing: f.clothing.value, build: f.build.value };
    if (f.age.value !== '') person.age = Number(f.age.value);
    if (f.birth.value) person.birth_date = f.birth.value;
    if (f.height.value) person.height_cm = Number(f.height.value);
    const body = {
      person,
      // The form's time is Beijing time.
      last_seen: { at: f.at.value ? f.at.value + ':00+08:00' : '', place: f.place.value },
      police: { unit: f.unit.value.trim(), phone: f.unitPhone.value, case_number: f.caseNo.value },
      initiator: { relation: f.relation.value, name: f.initName.value, phone: f.contact.value, address: f.address.value },
    };
    if (f.lat.value && f.lng.value) body.last_seen.position = { lat: Number(f.lat.value), lng: Number(f.lng.value) };
    submit.disabled = true;
    try {
      const d = await api.post('/api/v1/missing/notices', body);
      for (const file of f.files.files) {
        try {
          await api.upload('/api/v1/missing/notices/' + d.id + '/media', file);
        } catch (e) {
          toast(file.name + ': ' + errorText(e), 'error', 6000);
        }
      }
      toast(t('missing.submitted'), 'ok');
      navigate('/missing/mine/' + d.id, { replace: true });
    } catch (e) {
      msg.textContent = errorText(e) + (e.details?.field ? ' (' + e.details.field + ')' : '');
      const bad = e.details?.field && document.querySelector('[data-f="' + e.details.field + '"] .input');
      bad?.focus();
    }
    submit.disabled = false;
  }
  const fld = (key, label, input, hint) => {
    const el = field(t(label), input, hint ? t(hint) : null);
    el.dataset.f = key;
    return el;
  };
  return screen({ title: t('missing.new'), back: '/missing' },
    h('form', { class: 'form', onsubmit: onSubmit, noValidate: true, 'data-testid': 'missing-form' },
      h('p', { class: 'form-info' }, t('missing.onlyAccepted')),
      h('h2', null, t('missing.sec.person')),
      fld('person.name', 'missing.name', f.name),
      h('div', { class: 'mp-row' }, fld('person.sex', 'missing.sex', f.sex), fld('person.age', 'missing.age', f.age)),
      fld('person.birth_date', 'missing.birthDate', f.birth, 'missing.birthHint'),
      h('div', { class: 'mp-row' }, fld('person.height_cm', 'missing.height', f.height), fld('person.build', 'missing.build', f.build)),
      fld('person.features', 'missing.features', f.features),
      fld('person.clothing', 'missing.clothing', f.clothing),
      h('h2', null, t('missing.sec.lastSeen')),
      fld('last_seen.at', 'missing.lastSeenAt', f.at, 'missing.beijingTime'),
      fld('last_seen.place', 'missing.lastSeenPlace', f.place),
      h('div', { class: 'mp-row' }, fld('last_seen.position', 'missing.lat', f.lat), fld('last_seen.position', 'missing.lng', f.lng)),
      h('div', { class: 'mp-actions' }, here),
      h('h2', null, t('missing.sec.police')),
      fld('police.unit', 'missing.unitCode', f.unit), unitName,
      fld('police.phone', 'missing.unitPhone', f.unitPhone),
      fld('police.case_number', 'missing.caseNumber', f.caseNo, 'missing.caseHint'),
      h('h2', null, t('missing.sec.initiator')),
      fld('initiator.relation', 'missing.relation', f.relation),
      fld('initiator.name', 'missing.initName', f.initName),
      fld('initiator.phone', 'missing.contact', f.contact, 'missing.contactHint'),
      fld('initiator.address', 'missing.address', f.address, 'missing.addressHint'),
      h('h2', null, t('missing.sec.media')),
      fld('media', 'missing.media', f.files, 'missing.mediaHint'),
      msg, submit),
    emergencyBar({ compact: true }));
}

// ---- The family: my notices -------------------------------------------------

async function renderMine(ctx) {
  return loadingOr(async () => {
    const { notices } = await api.get('/api/v1/missing/notices', { signal: ctx.signal });
    return screen({ title: t('missing.mine'), back: '/missing' },
      h('div', { class: 'mp-actions' }, h('a', { class: 'btn primary', href: '#/missing/new' }, t('missing.new'))),
      notices.length ? h('ul', { class: 'mp-list', 'data-testid': 'my-notices' }, notices.map((d) => h('li', null, card(d, '/missing/mine/' + d.id))))
        : h('p', { class: 'muted' }, t('missing.noneMine')));
  });
}

async function renderMineOne(ctx) {
  return loadingOr(async () => {
    const id = encodeURIComponent(ctx.params.id);
    const d = await api.get('/api/v1/missing/notices/' + id, { signal: ctx.signal });
    // Own media needs the session: fetch as blobs (an <img> cannot send the token).
    const strip = h('div', { class: 'mp-photos' });
    for (const m of d.media || []) {
      request('GET', m.url, { raw: true, signal: ctx.signal }).then((r) => r.blob()).then((b) => {
        const url = URL.createObjectURL(b);
        ctx.onLeave(() => URL.revokeObjectURL(url));
        strip.appendChild(m.kind === 'video' ? h('video', { src: url, controls: true }) : h('img', { src: url, alt: '' }));
      }).catch(() => {});
    }
    const parts = [h('h2', null, d.person.name, stateTag(d))];
    const explain = { submitted: 'missing.explain.submitted', verifying: 'missing.explain.verifying', published: 'missing.explain.published' }[d.state];
    if (explain) parts.push(h('p', { class: 'form-info', 'data-testid': 'state-explain' }, t(explain, { center: d.center?.name || '' })));
    if (d.state === 'rejected') parts.push(h('div', { class: 'mp-box', 'data-testid': 'reject-reason' }, h('strong', null, t('missing.rejectReason')), h('p', null, d.reject_reason)));
    if (d.closure) parts.push(h('div', { class: ['mp-closure', d.closure.outcome] }, t('missing.outcome.' + d.closure.outcome), d.closure.notice ? ': ' + d.closure.notice : ''));
    if (d.progress && (d.state === 'published' || d.state === 'closed')) {
      const by = d.progress.by_status || {};
      parts.push(h('div', { class: 'mp-box', 'data-testid': 'progress' },
        h('strong', null, t('missing.progress')),
        h('p', null, t('missing.progressCounts', { n: d.progress.sightings, checked: (by.relevant || 0) + (by.followed_up || 0) + (by.not_relevant || 0) + (by.duplicate || 0), relevant: (by.relevant || 0) + (by.followed_up || 0) })),
        h('ul', null, d.progress.notes.map((n) => h('li', null, fmtDateTime(n.at), ' ', n.text)))));
    }
    if (d.share_path && d.state === 'published') parts.push(h('a', { class: 'btn', href: '#/missing/p/' + d.id }, t('missing.viewPublic')));
    parts.push(strip, details(d, { private: true }));
    if (d.state === 'submitted' || d.state === 'verifying') {
      const file = h('input', { class: 'input', type: 'file', accept: 'image/*,video/*', name: 'media' });
      const up = h('button', { type: 'button', class: 'btn' }, t('missing.upload'));
      up.onclick = async () => {
        if (!file.files[0]) return;
        try {
          await api.upload('/api/v1/missing/notices/' + id + '/media', file.files[0]);
          ctx.shell.refresh();
        } catch (e) {
          toast(errorText(e), 'error', 6000);
        }
      };
      const wd = h('button', { type: 'button', class: 'btn danger', 'data-action': 'withdraw' }, t('missing.withdraw'));
      wd.onclick = async () => {
        if (!confirm(t('missing.withdrawConfirm'))) return;
        try {
          await api.post('/api/v1/missing/notices/' + id + '/withdraw');
          ctx.shell.refresh();
        } catch (e) {
          toast(errorText(e), 'error');
        }
      };
      parts.push(h('div', { class: 'mp-box' }, field(t('missing.addMedia'), file, t('missing.mediaHint')), h('div', { class: 'mp-actions' }, up, wd)));
    }
    return screen({ title: t('missing.myNotice'), back: '/missing/mine' }, h('div', { 'data-testid': 'my-notice' }, parts));
  });
}

// ---- Alerts: settings and inbox ---------------------------------------------

async function renderAlerts(ctx) {
  return loadingOr(async () => {
    const [area, box] = await Promise.all([api.get('/api/v1/missing/alerts', { signal: ctx.signal }), api.get('/api/v1/missing/inbox', { signal: ctx.signal })]);
    const county = h('input', { class: 'input', name: 'county', inputmode: 'numeric', maxlength: 6, placeholder: '130102', value: area.county?.code || '' });
    const msg = h('p', { class: 'form-msg', role: 'alert' });
    const save = h('button', { type: 'submit', class: 'btn primary', 'data-action': 'save-area' }, t(area.enabled ? 'missing.areaSave' : 'missing.areaOn'));
    const byPoint = h('button', { type: 'button', class: 'btn' }, icon('pin', { size: 18 }), t('missing.areaHere'));
    const put = async (body) => {
      try {
        await api.put('/api/v1/missing/alerts', body);
        toast(t('missing.areaSaved'), 'ok');
        ctx.shell.refresh();
      } catch (e) {
        msg.textContent = errorText(e);
      }
    };
    byPoint.onclick = () => navigator.geolocation?.getCurrentPosition((p) => put({ point: { lat: p.coords.latitude, lng: p.coords.longitude } }),
      () => toast(t('missing.noPosition'), 'error'), { timeout: 10000 });
    const off = area.enabled ? h('button', { type: 'button', class: 'btn', 'data-action': 'area-off' }, t('missing.areaOff')) : null;
    if (off) {
      off.onclick = async () => {
        await api.del('/api/v1/missing/alerts').catch((e) => toast(errorText(e), 'error'));
        ctx.shell.refresh();
      };
    }
    const status = area.enabled
      ? t('missing.areaIs', { area: area.county ? area.county.name : area.point.lat.toFixed(1) + ', ' + area.point.lng.toFixed(1) })
      : t('missing.areaNone');
    const settings = h('form', { class: 'form mp-box', 'data-testid': 'area-form', onsubmit: (ev) => { ev.preventDefault(); put({ county: county.value.trim() }); } },
      h('p', { 'data-testid': 'area-status' }, status),
      h('p', { class: 'muted' }, t('missing.areaExplain')),
      field(t('missing.areaCounty'), county, t('missing.areaCountyHint')),
      msg, h('div', { class: 'mp-actions' }, save, byPoint, off));
    const items = box.items.map((it) => h('li', { class: it.unread ? 'unread' : null, 'data-kind': it.kind },
      card(it.notice, '/missing/p/' + it.notice.id, h('p', { class: 'muted' }, t('missing.inbox.' + it.kind, { km: it.distance_km }), ' · ', fmtAgo(it.at)))));
    if (box.unread) {
      api.post('/api/v1/missing/inbox/read', { upto: box.cursor }).then(() => ctx.shell.setBadge('missing', 0)).catch(() => {});
    }
    return screen({ title: t('missing.alerts'), back: '/missing' }, settings,
      h('h2', null, t('missing.inbox'), box.unread ? ' (' + box.unread + ')' : ''),
      items.length ? h('ul', { class: 'mp-list mp-inbox', 'data-testid': 'inbox' }, items) : h('p', { class: 'muted', 'data-testid': 'inbox-empty' }, t('missing.inboxEmpty')));
  });
}

// ---- Live wake-ups ----------------------------------------------------------

function init(shell) {
  if (!token()) return null;
  const refreshBadge = () => api.get('/api/v1/missing/inbox').then((b) => shell.setBadge('missing', b.unread)).catch(() => {});
  refreshBadge();
  const sock = connect('/api/v1/missing/live', {
    onMessage(m) {
      if (m?.type !== 'event' || !m.event) return;
      const e = m.event;
      if (e.kind === 'alert' || e.kind === 'closure') {
        toast(t('missing.live.' + e.kind), e.kind === 'alert' ? 'error' : 'ok', 6000);
        refreshBadge();
      } else if (e.kind === 'state' || e.kind === 'progress') {
        toast(t('missing.live.' + e.kind), 'info', 5000);
      }
      const path = location.hash;
      if (path.startsWith('#/missing')) shell.refresh();
    },
  });
  return () => sock.close();
}

export default {
  id: 'missing',
  init,
  routes: {
    '/missing': { render: renderFeed, public: true },
    '/missing/p/:id': { render: renderPublic, public: true },
    '/missing/new': renderNew,
    '/missing/mine': renderMine,
    '/missing/mine/:id': renderMineOne,
    '/missing/alerts': renderAlerts,
  },
  strings: {
    'zh-CN': {
      'missing.new': '发布寻人',
      'missing.mine': '我的寻人',
      'missing.alerts': '附近寻人提醒',
      'missing.more': '加载更多',
      'missing.feedEmpty': '暂无寻人启事。',
      'missing.city': '城市',
      'missing.allCities': '全省',
      'missing.show': '显示',
      'missing.showOpen': '正在寻找',
      'missing.showClosed': '已结案',
      'missing.near': '距离',
      'missing.anyDistance': '不限距离',
      'missing.withinKm': '我附近{km}公里',
      'missing.noPosition': '无法获取位置。',
      'missing.distance': '距离约 {km} 公里',
      'missing.hidden': '（已隐去）',
      'missing.ageN': '{n}岁',
      'missing.sex.male': '男',
      'missing.sex.female': '女',
      'missing.build.slim': '偏瘦',
      'missing.build.medium': '中等',
      'missing.build.stout': '偏胖',
      'missing.state.submitted': '待核实',
      'missing.state.verifying': '核实中',
      'missing.state.published': '寻找中',
      'missing.state.rejected': '未通过',
      'missing.state.closed': '已结案',
      'missing.outcome.found': '已找到',
      'missing.outcome.withdrawn': '已撤回',
      'missing.outcome.hoax': '不实信息',
      'missing.lastSeenShort': '{at} 于 {place}',
      'missing.noticeTitle': '寻人启事',
      'missing.closureTitle': '寻人结果',
      'missing.share': '分享',
      'missing.shareTitle': '寻人启事：{name}',
      'missing.linkCopied': '链接已复制',
      'missing.callUnit': '如有线索，请拨打受理单位电话，或在下方提交线索；紧急情况请拨打110。',
      'missing.callUnitBtn': '拨打受理单位',
      'missing.name': '姓名',
      'missing.sex': '性别',
      'missing.age': '年龄',
      'missing.sexAge': '基本情况',
      'missing.birthDate': '出生日期',
      'missing.birthHint': '填写出生日期或年龄之一即可。',
      'missing.height': '身高（厘米）',
      'missing.build': '体型',
      'missing.features': '体貌特征',
      'missing.clothing': '衣着',
      'missing.lastSeenAt': '失踪时间',
      'missing.lastSeenPlace': '失踪地点',
      'missing.beijingTime': '北京时间',
      'missing.lat': '纬度',
      'missing.lng': '经度',
      'missing.usePosition': '使用本机当前位置',
      'missing.unit': '受理单位',
      'missing.unitCode': '受理单位代码',
      'missing.unitPhone': '受理单位电话',
      'missing.caseNumber': '受案编号',
      'missing.caseHint': '受案回执上的编号：A或J加22位数字，如 A1301020000002025050001（前6位数字为受理单位代码）。',
      'missing.relation': '与失踪人关系',
      'missing.rel.parent': '父母',
      'missing.rel.child': '子女',
      'missing.rel.spouse': '配偶',
      'missing.rel.sibling': '兄弟姐妹',
      'missing.rel.grandparent': '祖父母/外祖父母',
      'missing.rel.grandchild': '孙子女/外孙子女',
      'missing.rel.relative': '其他近亲属',
      'missing.rel.guardian': '监护人',
      'missing.initName': '发起人姓名',
      'missing.contact': '联系电话',
      'missing.contactDefault': '默认为登录手机号',
      'missing.contactHint': '仅公安机关可见，不会公开。',
      'missing.address': '家庭住址',
      'missing.addressHint': '选填，仅公安机关可见，不会公开。',
      'missing.media': '照片、视频',
      'missing.mediaHint': '照片（JPEG/PNG，不超过10MB）或视频（MP4/MOV/WebM，不超过100MB），最多12个。',
      'missing.sec.person': '失踪人员信息',
      'missing.sec.lastSeen': '失踪时间地点',
      'missing.sec.police': '受理报警的公安机关',
      'missing.sec.initiator': '发起人',
      'missing.sec.media': '照片和视频',
      'missing.onlyAccepted': '只有公安机关已受理的失踪人员报警才能发布。提交后，由受理单位所在地的110指挥中心与您和受理单位联系核实，核实后发布到全省。',
      'missing.submit': '提交',
      'missing.submitted': '已提交，等待指挥中心核实。',
      'missing.noneMine': '您还没有发布过寻人启事。',
      'missing.myNotice': '我的寻人启事',
      'missing.explain.submitted': '已提交给{center}，等待核实。',
      'missing.explain.verifying': '{center}正在与您和受理单位核实。',
      'missing.explain.published': '已发布，全省用户都能看到并帮助查找。',
      'missing.rejectReason': '未通过核实的原因',
      'missing.progress': '查找进展',
      'missing.progressCounts': '已收到线索 {n} 条，已核查 {checked} 条，其中有价值 {relevant} 条。',
      'missing.viewPublic': '查看公开的启事',
      'missing.upload': '上传',
      'missing.addMedia': '补充照片或视频',
      'missing.withdraw': '撤回',
      'missing.withdrawConfirm': '确定撤回这条寻人启事吗？',
      'missing.sightingTitle': '提供线索',
      'missing.sightingText': '您在何时何地看到了什么？',
      'missing.sightingHint': '例如：今天下午3点在某公交站看到一个穿红色外套的男孩',
      'missing.sightingPhoto': '照片（选填）',
      'missing.attachPosition': '附上我现在的位置',
      'missing.positionAttached': '已附上位置',
      'missing.anonymous': '匿名提供（民警看不到您的手机号）',
      'missing.anonymousSignedOut': '未登录，将匿名提供',
      'missing.sendSighting': '提交线索',
      'missing.sightingSent': '线索已送达指挥中心，谢谢您！',
      'missing.areaNone': '您尚未开启附近寻人提醒。',
      'missing.areaIs': '提醒范围中心：{area}',
      'missing.areaExplain': '开启后，当您所在区域附近有人走失时，您会收到提醒；范围随失踪时间扩大（1小时内100公里，2小时内200公里，3小时内300公里，之后500公里）。只保存您选择的区县或约10公里精度的位置，不跟踪您的行踪。',
      'missing.areaCounty': '区县代码',
      'missing.areaCountyHint': '例如 130102（长安区）。',
      'missing.areaOn': '开启提醒',
      'missing.areaSave': '保存',
      'missing.areaHere': '用我现在的大致位置',
      'missing.areaOff': '关闭提醒',
      'missing.areaSaved': '已保存',
      'missing.inbox': '提醒消息',
      'missing.inboxEmpty': '暂无提醒。',
      'missing.inbox.alert': '附近有人走失（约{km}公里）',
      'missing.inbox.closure': '寻人结果',
      'missing.live.alert': '您附近有人走失，请留意寻人启事。',
      'missing.live.closure': '您关注的寻人启事有了结果。',
      'missing.live.state': '您的寻人启事状态已更新。',
      'missing.live.progress': '指挥中心更新了查找进展。',
      'missing.city.130100': '石家庄市', 'missing.city.130200': '唐山市', 'missing.city.130300': '秦皇岛市', 'missing.city.130400': '邯郸市',
      'missing.city.130500': '邢台市', 'missing.city.130600': '保定市', 'missing.city.130700': '张家口市', 'missing.city.130800': '承德市',
      'missing.city.130900': '沧州市', 'missing.city.131000': '廊坊市', 'missing.city.131100': '衡水市',
    },
    en: {
      'missing.new': 'Report a missing person',
      'missing.mine': 'My notices',
      'missing.alerts': 'Alerts near me',
      'missing.more': 'More',
      'missing.feedEmpty': 'No notices.',
      'missing.city': 'City',
      'missing.allCities': 'Whole province',
      'missing.show': 'Show',
      'missing.showOpen': 'Still missing',
      'missing.showClosed': 'Closed',
      'missing.near': 'Distance',
      'missing.anyDistance': 'Any distance',
      'missing.withinKm': 'Within {km} km of me',
      'missing.noPosition': 'Your position is not available.',
      'missing.distance': 'About {km} km away',
      'missing.hidden': '(withheld)',
      'missing.ageN': '{n} years',
      'missing.sex.male': 'Male',
      'missing.sex.female': 'Female',
      'missing.build.slim': 'Slim',
      'missing.build.medium': 'Medium',
      'missing.build.stout': 'Stout',
      'missing.state.submitted': 'Awaiting verification',
      'missing.state.verifying': 'Being verified',
      'missing.state.published': 'Missing',
      'missing.state.rejected': 'Not published',
      'missing.state.closed': 'Closed',
      'missing.outcome.found': 'Found',
      'missing.outcome.withdrawn': 'Withdrawn',
      'missing.outcome.hoax': 'Not genuine',
      'missing.lastSeenShort': '{at} at {place}',
      'missing.noticeTitle': 'Missing person',
      'missing.closureTitle': 'Outcome',
      'missing.share': 'Share',
      'missing.shareTitle': 'Missing: {name}',
      'missing.linkCopied': 'Link copied',
      'missing.callUnit': 'If you know anything, call the police unit or send a sighting below; in an emergency call 110.',
      'missing.callUnitBtn': 'Call the police unit',
      'missing.name': 'Name',
      'missing.sex': 'Sex',
      'missing.age': 'Age',
      'missing.sexAge': 'Description',
      'missing.birthDate': 'Date of birth',
      'missing.birthHint': 'Either the date of birth or the age.',
      'missing.height': 'Height (cm)',
      'missing.build': 'Build',
      'missing.features': 'Distinguishing features',
      'missing.clothing': 'Clothing',
      'missing.lastSeenAt': 'Last seen',
      'missing.lastSeenPlace': 'Where',
      'missing.beijingTime': 'Beijing time',
      'missing.lat': 'Latitude',
      'missing.lng': 'Longitude',
      'missing.usePosition': 'Use this device\'s position',
      'missing.unit': 'Police unit',
      'missing.unitCode': 'Police unit code',
      'missing.unitPhone': 'Police unit phone',
      'missing.caseNumber': 'Case number',
      'missing.caseHint': 'From the acceptance receipt: A or J and 22 digits, e.g. A1301020000002025050001 (the first 6 digits are the unit\'s code).',
      'missing.relation': 'Your relation',
      'missing.rel.parent': 'Parent',
      'missing.rel.child': 'Child',
      'missing.rel.spouse': 'Spouse',
      'missing.rel.sibling': 'Sibling',
      'missing.rel.grandparent': 'Grandparent',
      'missing.rel.grandchild': 'Grandchild',
      'missing.rel.relative': 'Other close relative',
      'missing.rel.guardian': 'Guardian',
      'missing.initName': 'Your name',
      'missing.contact': 'Your phone',
      'missing.contactDefault': 'Default: your sign-in number',
      'missing.contactHint': 'Seen by the police only, never published.',
      'missing.address': 'Home address',
      'missing.addressHint': 'Optional; seen by the police only, never published.',
      'missing.media': 'Photos and videos',
      'missing.mediaHint': 'Photos (JPEG/PNG, up to 10 MB) or videos (MP4/MOV/WebM, up to 100 MB), at most 12.',
      'missing.sec.person': 'The missing person',
      'missing.sec.lastSeen': 'When and where last seen',
      'missing.sec.police': 'The police unit that accepted the report',
      'missing.sec.initiator': 'You',
      'missing.sec.media': 'Photos and videos',
      'missing.onlyAccepted': 'Only reports the police have accepted can be published. The 110 command centre covering the accepting unit checks with you and the unit, then publishes to the whole province.',
      'missing.submit': 'Submit',
      'missing.submitted': 'Submitted; the command centre will verify it.',
      'missing.noneMine': 'You have not submitted any notices.',
      'missing.myNotice': 'My notice',
      'missing.explain.submitted': 'Sent to {center}, awaiting verification.',
      'missing.explain.verifying': '{center} is checking with you and the police unit.',
      'missing.explain.published': 'Published: everyone in the province can see it and help.',
      'missing.rejectReason': 'Why it was not published',
      'missing.progress': 'Progress',
      'missing.progressCounts': '{n} sightings received, {checked} checked, {relevant} worth following.',
      'missing.viewPublic': 'View the public notice',
      'missing.upload': 'Upload',
      'missing.addMedia': 'Add a photo or video',
      'missing.withdraw': 'Withdraw',
      'missing.withdrawConfirm': 'Withdraw this notice?',
      'missing.sightingTitle': 'Send a sighting',
      'missing.sightingText': 'What did you see, when and where?',
      'missing.sightingHint': 'E.g. at 3 pm today at a bus stop, a boy in a red coat',
      'missing.sightingPhoto': 'Photo (optional)',
      'missing.attachPosition': 'Attach my position now',
      'missing.positionAttached': 'Position attached',
      'missing.anonymous': 'Anonymous (officers do not see your phone number)',
      'missing.anonymousSignedOut': 'Not signed in: sent anonymously',
      'missing.sendSighting': 'Send',
      'missing.sightingSent': 'Your sighting reached the command centre. Thank you!',
      'missing.areaNone': 'Alerts near you are off.',
      'missing.areaIs': 'Alerts around: {area}',
      'missing.areaExplain': 'When someone goes missing near your area you get an alert; the radius grows with time (100 km in the first hour, 200 km within 2 h, 300 km within 3 h, then 500 km). Only the county you choose or a position rounded to about 10 km is kept; you are not tracked.',
      'missing.areaCounty': 'County code',
      'missing.areaCountyHint': 'E.g. 130102 (Chang\'an district).',
      'missing.areaOn': 'Turn on',
      'missing.areaSave': 'Save',
      'missing.areaHere': 'Use my rough position',
      'missing.areaOff': 'Turn off',
      'missing.areaSaved': 'Saved',
      'missing.inbox': 'Alerts',
      'missing.inboxEmpty': 'No alerts.',
      'missing.inbox.alert': 'Missing near you (about {km} km)',
      'missing.inbox.closure': 'Outcome',
      'missing.live.alert': 'Someone is missing near you: please look at the notice.',
      'missing.live.closure': 'A notice you were alerted to has an outcome.',
      'missing.live.state': 'Your notice\'s status changed.',
      'missing.live.progress': 'The command centre updated the progress.',
      'missing.city.130100': 'Shijiazhuang', 'missing.city.130200': 'Tangshan', 'missing.city.130300': 'Qinhuangdao', 'missing.city.130400': 'Handan',
      'missing.city.130500': 'Xingtai', 'missing.city.130600': 'Baoding', 'missing.city.130700': 'Zhangjiakou', 'missing.city.130800': 'Chengde',
      'missing.city.130900': 'Cangzhou', 'missing.city.131000': 'Langfang', 'missing.city.131100': 'Hengshui',
    },
  },
};

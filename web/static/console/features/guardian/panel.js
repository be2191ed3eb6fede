// The linked-trip panel of the console's alarm view (亲友互助). Police never
// watch a trip: only an alarm raised from or about one opens its track and
// media from before the alarm to the centre handling it, and every read is
// audited (officer, time, IP, alarm) and shown to the traveller. So the
// panel says that first and reads only when the dispatcher asks.

import { h, mount, icon, errorText } from '../../../shared/ui.js';
import { t, fmtTime, fmtDateTime } from '../../../shared/i18n.js';
import { api, request } from '../../../shared/api.js';
import { createMap, positionMarker, L } from '../../../shared/map.js';

const OPEN = new Set(['queued', 'answered', 'abandoned']);

let cssLoaded = false;
function loadCSS() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: new URL('./guardian.css', import.meta.url).href }));
}

function prettyPhone(p) {
  const d = String(p || '').replace(/^\+86/, '').replace(/\D/g, '');
  return d.length === 11 ? d.slice(0, 3) + ' ' + d.slice(3, 7) + ' ' + d.slice(7) : String(p || '');
}

/**
 * renderLinkedTripPanel(ctx, alarm) → {el, update, destroy} for an alarm
 * linked to a trip (alarm.links.trip_id), else null (no panel).
 */
export function renderLinkedTripPanel(ctx, alarm) {
  const tripId = alarm?.links?.trip_id;
  if (!tripId) return null;
  loadCSS();
  let a = alarm;
  let view = null;
  let map = null;
  const urls = [];
  const body = h('div', { class: 'panel-body gt-body' });
  const notice = h('p', { class: 'gt-notice', role: 'note', 'data-testid': 'linked-trip-notice' }, icon('audit', { size: 18 }), h('span', null, t('gt.notice')));
  const el = h('section', { class: 'panel gt-panel', 'data-testid': 'linked-trip', 'data-trip': tripId },
    h('header', { class: 'panel-hdr' }, h('h2', null, icon('guardian', { size: 18 }), ' ', t('gt.title'))),
    notice, body);

  const raisedBy = () => {
    const by = a.links?.raised_by;
    if (by === 'guardian') return t('gt.by.guardian', { phone: prettyPhone(a.links?.guardian_phone) });
    if (by === 'duress') return t('gt.by.duress');
    return t('gt.by.traveller');
  };

  function drawIdle(errText) {
    const open = OPEN.has(a.state);
    mount(body,
      h('p', { class: 'gt-raised', 'data-raised-by': a.links?.raised_by || '' }, raisedBy()),
      a.links?.raised_by === 'duress' ? h('p', { class: 'gt-warn' }, t('gt.duressWarn')) : null,
      errText ? h('p', { class: 'form-msg', 'data-testid': 'linked-trip-error' }, errText) : null,
      open
        ? h('button', { type: 'button', class: 'btn primary', 'data-action': 'load-linked-trip', onclick: load }, icon('map', { size: 18 }), t('gt.load'))
        : h('p', { class: 'muted' }, t('gt.closed')));
  }

  async function load(ev) {
    const btn = ev?.currentTarget;
    if (btn) btn.disabled = true;
    try {
      view = await api.get('/api/v1/trips/linked', { query: { alarm_id: a.id }, signal: ctx.signal });
    } catch (e) {
      if (ctx.signal?.aborted) return;
      drawIdle(e.status === 404 ? t('gt.noAccess') : errorText(e));
      return;
    }
    drawView();
  }

  function drawView() {
    const tr = view.trip || {};
    const pts = (view.points || []).slice().sort((x, y) => Date.parse(x.at) - Date.parse(y.at) || x.seq - y.seq);
    const last = tr.last || pts[pts.length - 1];
    const mapEl = h('div', { class: 'gt-map', 'data-testid': 'linked-trip-map' });
    const media = view.media || [];
    const facts = [
      [t('gt.mode'), t('gt.mode.' + tr.mode) + (tr.note ? ' · ' + tr.note : '')],
      tr.destination ? [t('gt.dest'), tr.destination] : null,
      [t('gt.traveller'), prettyPhone(tr.traveller_phone)],
      [t('gt.started'), fmtDateTime(tr.started_at)],
      tr.expected_at ? [t('gt.expected'), fmtDateTime(tr.expected_at)] : null,
      [t('gt.cutoff'), fmtDateTime(view.cutoff)],
      [t('gt.points'), String(pts.length) + (pts.length ? ` (${fmtTime(pts[0].at)} – ${fmtTime(pts[pts.length - 1].at)})` : '')],
      last ? [t('gt.last'), `${last.lat.toFixed(5)}, ${last.lng.toFixed(5)} ±${Math.round(last.accuracy_m || 0)}m · ${fmtTime(last.at)}`] : null,
      tr.ended_at ? [t('gt.ended'), fmtDateTime(tr.ended_at)] : null,
    ].filter(Boolean);
    mount(body,
      h('p', { class: 'gt-raised', 'data-raised-by': a.links?.raised_by || '' }, raisedBy()),
      mapEl,
      h('dl', { class: 'gt-facts', 'data-testid': 'linked-trip-facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', { class: k === t('gt.last') ? 'mono' : null }, v)])),
      h('h3', { class: 'gt-sub' }, t('gt.media', { n: media.length })),
      media.length ? h('div', { class: 'gt-thumbs', 'data-testid': 'linked-trip-media' }, media.map(thumb)) : h('p', { class: 'muted' }, t('gt.noMedia')),
      h('p', { class: 'muted small' }, t('gt.readAt', { at: fmtTime(new Date()) }),
        ' ', h('button', { type: 'button', class: 'btn gt-reload', 'data-action': 'reload-linked-trip', onclick: load }, t('gt.reload'))));
    drawMap(mapEl, pts, last);
  }

  async function drawMap(mapEl, pts, last) {
    for (let i = 0; i < 60 && !mapEl.isConnected; i++) await new Promise((r) => requestAnimationFrame(r));
    if (ctx.signal?.aborted || !mapEl.isConnected) return;
    map?.remove();
    map = null;
    try {
      const m = await createMap(mapEl, { boundary: a.center?.code || '130000', signal: ctx.signal, center: last ? [last.lat, last.lng] : undefined, zoom: 14 });
      if (ctx.signal?.aborted) {
        m.remove();
        return;
      }
      map = m;
      map.invalidateSize();
      const lls = pts.map((p) => [p.lat, p.lng]);
      if (lls.length) {
        L.polyline(lls, { color: '#0b3d91', weight: 4, opacity: 0.85 }).addTo(map);
        L.circleMarker(lls[0], { radius: 6, color: '#fff', weight: 2, fillColor: '#1b7a3a', fillOpacity: 1 }).bindTooltip(t('gt.start')).addTo(map);
        map.fitBounds(L.latLngBounds(lls).pad(0.25), { maxZoom: 16 });
      }
      if (last) positionMarker(map, last, { follow: !lls.length });
      new ResizeObserver(() => map?.invalidateSize()).observe(mapEl);
    } catch (e) {
      console.warn('linked trip map', e);
    }
  }

  // Media open through the audited police endpoint; photos at once (they
  // are what the dispatcher asked to see), clips when played.
  function thumb(m) {
    const path = `/api/v1/trips/linked/media/${encodeURIComponent(m.id)}`;
    const fetchURL = async () => {
      const res = await request('GET', path, { query: { alarm_id: a.id }, raw: true, signal: ctx.signal, timeoutMs: 120000 });
      const u = URL.createObjectURL(await res.blob());
      urls.push(u);
      return u;
    };
    const cap = h('figcaption', null, t('gt.kind.' + m.kind), ' · ', fmtTime(m.captured_at),
      m.location ? h('span', { class: 'mono' }, ` · ${m.location.lat.toFixed(4)}, ${m.location.lng.toFixed(4)}`) : null,
      h('br'), h('span', { class: 'mono', title: m.sha256 }, 'SHA-256 ' + String(m.sha256 || '').slice(0, 12) + '…'));
    const fig = h('figure', { class: 'gt-thumb', 'data-media': m.id, 'data-kind': m.kind }, cap);
    if (m.kind === 'photo') {
      const img = h('img', { alt: t('gt.kind.photo') });
      fig.prepend(img);
      fetchURL().then((u) => { img.src = u; fig.dataset.loaded = '1'; }).catch(() => { fig.dataset.failed = '1'; });
    } else {
      const btn = h('button', { type: 'button', class: 'gt-play', 'data-action': 'play-linked-media', onclick: async () => {
        btn.disabled = true;
        try {
          const u = await fetchURL();
          const player = h(m.kind === 'video' ? 'video' : 'audio', { src: u, controls: true, playsInline: true });
          btn.replaceWith(player);
          player.play?.().catch(() => {});
        } catch {
          btn.disabled = false;
        }
      } }, '▶ ', t('gt.play'));
      fig.prepend(btn);
    }
    return fig;
  }

  drawIdle();
  return {
    el,
    update(next) {
      const was = a.state;
      a = next;
      if (!view && was !== a.state) drawIdle();
    },
    destroy() {
      map?.remove();
      for (const u of urls) URL.revokeObjectURL(u);
    },
  };
}

// A trip's track on our own map (shared/map.js: Leaflet with the
// jurisdiction outlines, no tiles): the line, where it started, and the
// last position with its accuracy circle. WGS-84 throughout.

import { createMap, positionMarker, L } from '../../../shared/map.js';

/**
 * tripMap(el, { signal, boundary }) → { draw(points, last), remove() }.
 * boundary: a unit code, or a Promise of one (e.g. the city of the first
 * position, from cityOf).
 * The map is created once el is in the page (Leaflet measures it).
 */
export function tripMap(el, { signal, boundary = '130000' } = {}) {
  let map = null;
  let line = null;
  let startDot = null;
  let pin = null;
  let pending = null;
  let fitted = false;
  let gone = false;

  (async () => {
    for (let i = 0; i < 60 && !el.isConnected; i++) await new Promise((r) => requestAnimationFrame(r));
    if (gone || signal?.aborted) return;
    try {
      const b = (await boundary) || '130000';
      if (gone || signal?.aborted) return;
      const m = await createMap(el, { boundary: b, signal, center: [38.04, 114.51], zoom: 12 });
      if (gone || signal?.aborted) {
        m.remove();
        return;
      }
      map = m;
      map.invalidateSize();
      new ResizeObserver(() => map?.invalidateSize()).observe(el);
      if (pending) draw(...pending);
    } catch (e) {
      console.warn('guardian map', e);
    }
  })();

  function draw(points, last) {
    if (!map) {
      pending = [points, last];
      return;
    }
    const lls = points.map((p) => [p.lat, p.lng]);
    if (!line) line = L.polyline(lls, { color: '#0b3d91', weight: 4, opacity: 0.8 }).addTo(map);
    else line.setLatLngs(lls);
    if (lls.length) {
      if (!startDot) startDot = L.circleMarker(lls[0], { radius: 6, color: '#fff', weight: 2, fillColor: '#1b7a3a', fillOpacity: 1 }).addTo(map);
      else startDot.setLatLng(lls[0]);
    }
    const lp = last || points[points.length - 1];
    if (lp) {
      if (!pin) pin = positionMarker(map, lp, { follow: false });
      else pin.update(lp);
      if (!fitted) {
        fitted = true;
        if (lls.length > 1) map.fitBounds(L.latLngBounds(lls).pad(0.3), { maxZoom: 16 });
        else map.setView([lp.lat, lp.lng], 15);
      } else if (!map.getBounds().pad(-0.1).contains([lp.lat, lp.lng])) {
        map.panTo([lp.lat, lp.lng]);
      }
    }
  }

  return {
    draw,
    remove() {
      gone = true;
      map?.remove();
      map = null;
    },
  };
}

/** The city code covering a position (for the map's outlines), or ''. */
export async function cityOf(api, pos, signal) {
  if (!pos) return '';
  try {
    const r = await api.get('/api/v1/route', { query: { lat: pos.lat, lng: pos.lng }, signal, timeoutMs: 8000 });
    return r.city?.code || r.center?.code || '';
  } catch {
    return '';
  }
}

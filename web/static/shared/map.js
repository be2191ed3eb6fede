// map: Leaflet (vendored, ../vendor/leaflet) with the province's
// boundaries from /api/v1/jurisdictions/{code}/boundary — no tile server,
// nothing from another origin (CSP).
//
//   import { createMap, positionMarker, L } from '../../shared/map.js';
//   const map = await createMap(el, { boundary: '130100' });   // a city and its counties
//   const pin = positionMarker(map, { lat, lng, accuracy_m });  // WGS-84
//   pin.update(next);  pin.remove();  map.remove();
//
// All coordinates are WGS-84, as the API sends them. Should a tile layer
// from a Chinese map provider ever be added, its tiles are GCJ-02: convert
// explicitly (geo has the conversion), never mix.

import * as L from '../vendor/leaflet/leaflet-src.esm.js';
import { api } from './api.js';

export { L };

const base = new URL('../vendor/leaflet/', import.meta.url).href;
L.Icon.Default.imagePath = base + 'images/';

function ensureCSS() {
  if (document.querySelector('link[data-leaflet]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = base + 'leaflet.css';
  link.dataset.leaflet = '1';
  document.head.appendChild(link);
}

const STYLE = {
  province: { color: '#0b3d91', weight: 2, fillOpacity: 0.03 },
  city: { color: '#0b3d91', weight: 1.5, fillOpacity: 0.04 },
  county: { color: '#5b6472', weight: 1, fillOpacity: 0.02, dashArray: '3 3' },
};

/**
 * createMap(el, opts) → a Leaflet map in el (give el a height).
 * opts: center [lat, lng] and zoom (defaults: Hebei), boundary: a unit code
 * whose outline and children's outlines are drawn ('' for none).
 */
export async function createMap(el, opts = {}) {
  const { center = [39.3, 116.0], zoom = 7, boundary = '130000', signal } = opts;
  ensureCSS();
  const map = L.map(el, { center, zoom, attributionControl: false, zoomSnap: 0.5, preferCanvas: false });
  if (boundary) {
    try {
      const fc = await api.get(`/api/v1/jurisdictions/${encodeURIComponent(boundary)}/boundary`, { query: { zoom: Math.round(zoom) + 1, children: 1 }, signal });
      const layer = L.geoJSON(fc, {
        style: (f) => STYLE[f.properties?.level] || STYLE.county,
        onEachFeature: (f, l) => f.properties?.name && l.bindTooltip(f.properties.name, { sticky: true }),
      }).addTo(map);
      if (opts.center === undefined) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    } catch (e) {
      console.warn('map: boundary', boundary, e);
    }
  }
  return map;
}

/** A caller's position: a marker and its accuracy circle. pos: { lat, lng, accuracy_m }. */
export function positionMarker(map, pos, { follow = true } = {}) {
  const ll = [pos.lat, pos.lng];
  const circle = L.circle(ll, { radius: pos.accuracy_m || 0, color: '#c4161c', weight: 1, fillOpacity: 0.12 }).addTo(map);
  const marker = L.circleMarker(ll, { radius: 7, color: '#fff', weight: 2, fillColor: '#c4161c', fillOpacity: 1 }).addTo(map);
  if (follow) map.setView(ll, Math.max(map.getZoom(), 13));
  return {
    update(p) {
      const n = [p.lat, p.lng];
      circle.setLatLng(n).setRadius(p.accuracy_m || 0);
      marker.setLatLng(n);
      if (follow) map.panTo(n);
    },
    remove() {
      circle.remove();
      marker.remove();
    },
  };
}

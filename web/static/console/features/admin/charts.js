// Small SVG charts in plain JS (no chart library): bars, a step line, a
// donut, horizontal bars and a map of unit outlines. Each returns an <svg>.

import { h } from '../../../shared/ui.js';

const W = 460;
const s = (tag, props, ...kids) => h('svg:' + tag, props, ...kids);

function niceMax(v) {
  if (v <= 5) return 5;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function frame(height, max, left = 34) {
  const top = 10;
  const bottom = height - 24;
  const y = (v) => bottom - (v / max) * (bottom - top);
  const g = s('g', null);
  const steps = max % 5 === 0 ? 5 : 4; // whole-number ticks for 5, 10, 20, 25, 50…
  for (let i = 0; i <= steps; i++) {
    const v = (max * i) / steps;
    g.appendChild(s('line', { class: 'grid', x1: left, x2: W - 6, y1: y(v), y2: y(v) }));
    g.appendChild(s('text', { x: left - 4, y: y(v) + 4, 'text-anchor': 'end' }, String(Math.round(v * 10) / 10)));
  }
  g.appendChild(s('line', { class: 'axis', x1: left, x2: W - 6, y1: bottom, y2: bottom }));
  return { g, y, top, bottom, left };
}

/**
 * Vertical bars. series: [{ values: number[], color, label }] stacked in order;
 * labels: x labels; marks: [{ at: index boundary (may be fractional), text, color }].
 */
export function bars({ labels, series, marks = [], height = 220, labelEvery = 1, title }) {
  const totals = labels.map((_, i) => series.reduce((a, se) => a + (se.values[i] || 0), 0));
  const max = niceMax(Math.max(1, ...totals));
  const f = frame(height, max);
  const n = labels.length;
  const bw = (W - 6 - f.left) / n;
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title || '' }, f.g);
  labels.forEach((lab, i) => {
    let base = 0;
    for (const se of series) {
      const v = se.values[i] || 0;
      if (v > 0) {
        const y0 = f.y(base);
        const y1 = f.y(base + v);
        svg.appendChild(s('rect', { x: f.left + i * bw + bw * 0.12, y: y1, width: bw * 0.76, height: Math.max(0.5, y0 - y1), fill: se.color },
          s('title', null, `${lab}: ${se.label} ${v}`)));
      }
      base += v;
    }
    if (i % labelEvery === 0) svg.appendChild(s('text', { x: f.left + i * bw + bw / 2, y: height - 8, 'text-anchor': 'middle' }, lab));
  });
  for (const m of marks) {
    const x = f.left + m.at * bw;
    svg.appendChild(s('line', { x1: x, x2: x, y1: f.top - 4, y2: f.bottom, stroke: m.color, 'stroke-width': 2, 'stroke-dasharray': '5 3' }));
    svg.appendChild(s('text', { x: x + 3, y: f.top + 6 + (m.row || 0) * 12, fill: m.color, style: 'fill:' + m.color + ';font-weight:700' }, m.text));
  }
  return svg;
}

/** A step line of points [{x: Date, y}] over [from, to]. */
export function stepLine({ points, from, to, height = 200, color = '#0b3d91', fmtX, title }) {
  const max = niceMax(Math.max(1, ...points.map((p) => p.y)));
  const f = frame(height, max);
  const span = to - from;
  const x = (t) => f.left + ((t - from) / span) * (W - 6 - f.left);
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title || '' }, f.g);
  for (let hh = 0; hh <= 24; hh += 3) {
    const tx = from + hh * 3600e3;
    svg.appendChild(s('text', { x: x(tx), y: height - 8, 'text-anchor': hh === 24 ? 'end' : 'middle' }, fmtX(new Date(tx))));
  }
  if (points.length) {
    let d = '';
    points.forEach((p, i) => {
      const px = x(p.x);
      const py = f.y(p.y);
      d += i === 0 ? `M${px},${py}` : `H${px}V${py}`;
    });
    const last = points[points.length - 1];
    svg.appendChild(s('path', { d: d + `H${x(last.x)}`, fill: 'none', stroke: color, 'stroke-width': 2 }));
    const area = d + `V${f.bottom}H${x(points[0].x)}Z`;
    svg.insertBefore(s('path', { d: area, fill: color, 'fill-opacity': 0.12, stroke: 'none' }), svg.lastChild);
  }
  return svg;
}

/** A donut of parts [{ value, color, label }] with a centre text. */
export function donut({ parts, center, sub, size = 200, title }) {
  const total = parts.reduce((a, p) => a + p.value, 0);
  const cx = W / 2;
  const cy = size / 2;
  const r = size / 2 - 12;
  const svg = s('svg', { viewBox: `0 0 ${W} ${size}`, role: 'img', 'aria-label': title || '' });
  if (!total) {
    svg.appendChild(s('circle', { cx, cy, r, fill: 'none', stroke: '#e5e7eb', 'stroke-width': 26 }));
  } else {
    let a0 = -Math.PI / 2;
    for (const p of parts) {
      if (!p.value) continue;
      const a1 = a0 + (p.value / total) * Math.PI * 2;
      if (p.value === total) {
        svg.appendChild(s('circle', { cx, cy, r, fill: 'none', stroke: p.color, 'stroke-width': 26 }, s('title', null, `${p.label}: ${p.value}`)));
      } else {
        const large = a1 - a0 > Math.PI ? 1 : 0;
        const d = `M${cx + r * Math.cos(a0)},${cy + r * Math.sin(a0)}A${r},${r} 0 ${large} 1 ${cx + r * Math.cos(a1)},${cy + r * Math.sin(a1)}`;
        svg.appendChild(s('path', { d, fill: 'none', stroke: p.color, 'stroke-width': 26 }, s('title', null, `${p.label}: ${p.value}`)));
      }
      a0 = a1;
    }
  }
  svg.appendChild(s('text', { x: cx, y: cy + 4, 'text-anchor': 'middle', style: 'font-size:24px;font-weight:700;fill:#111827' }, center));
  if (sub) svg.appendChild(s('text', { x: cx, y: cy + 24, 'text-anchor': 'middle' }, sub));
  return svg;
}

/** Horizontal bars: rows [{ label, value, note }]. */
export function hbars({ rows, color = '#0b6e69', title }) {
  const rowH = 24;
  const height = Math.max(1, rows.length) * rowH + 8;
  const left = 120;
  const max = niceMax(Math.max(1, ...rows.map((r) => r.value)));
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title || '' });
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const w = (r.value / max) * (W - left - 90);
    svg.appendChild(s('text', { x: left - 6, y: y + 15, 'text-anchor': 'end' }, r.label));
    svg.appendChild(s('rect', { x: left, y: y + 3, width: Math.max(1, w), height: rowH - 8, fill: color, rx: 3 }, s('title', null, `${r.label}: ${r.value}`)));
    svg.appendChild(s('text', { x: left + w + 6, y: y + 15 }, String(r.value) + (r.note ? '  ' + r.note : '')));
  });
  return svg;
}

/**
 * A map of unit outlines (GeoJSON features in WGS-84), each filled by its
 * count, with a dot per point. Equirectangular with cos(latitude) scaling:
 * true enough for a province.
 */
export function outlineMap({ features, counts, points, height = 360, title, nameOf }) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const polys = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []);
  for (const f of features) for (const poly of polys(f.geometry)) for (const [lng, lat] of poly[0]) {
    minX = Math.min(minX, lng); maxX = Math.max(maxX, lng); minY = Math.min(minY, lat); maxY = Math.max(maxY, lat);
  }
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title || '' });
  if (!isFinite(minX)) return svg;
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const sc = Math.min((W - 20) / ((maxX - minX) * k), (height - 20) / (maxY - minY));
  const ox = (W - (maxX - minX) * k * sc) / 2;
  const oy = (height - (maxY - minY) * sc) / 2;
  const px = (lng) => ox + (lng - minX) * k * sc;
  const py = (lat) => oy + (maxY - lat) * sc;
  const max = Math.max(1, ...Object.values(counts));
  for (const f of features) {
    const n = counts[f.properties.code] || 0;
    const fill = n ? `rgba(196, 22, 28, ${0.15 + 0.65 * (n / max)})` : '#f3f5f9';
    let d = '';
    for (const poly of polys(f.geometry)) for (const ring of poly) {
      d += ring.map(([lng, lat], i) => (i ? 'L' : 'M') + px(lng).toFixed(1) + ',' + py(lat).toFixed(1)).join('') + 'Z';
    }
    svg.appendChild(s('path', { d, fill, stroke: '#6b7280', 'stroke-width': 0.7, 'fill-rule': 'evenodd', 'data-unit': f.properties.code },
      s('title', null, `${nameOf(f.properties)}: ${n}`)));
  }
  for (const f of features) {
    const n = counts[f.properties.code] || 0;
    if (!n) continue;
    const [lng, lat] = f.properties.label;
    svg.appendChild(s('text', { x: px(lng), y: py(lat) + 4, 'text-anchor': 'middle', style: 'font-weight:700;fill:#111827' }, String(n)));
  }
  for (const p of points) {
    svg.appendChild(s('circle', { cx: px(p.lng), cy: py(p.lat), r: 3.5, fill: '#c4161c', stroke: '#fff', 'stroke-width': 1, class: 'dash-point' }));
  }
  return svg;
}

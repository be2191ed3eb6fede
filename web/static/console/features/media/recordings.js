// The recordings panel of the console's alarm view: the caller's media as
// recorded evidence (WebM segments with SHA-256) and the snapshots taken.
// Playing asks for a reason first: the server writes one audit entry per
// playback (media.recording.play) and hands back short-lived URLs.

import { h, mount, icon, errorText } from '../../../shared/ui.js';
import { t, fmtTime, fmtDateTime } from '../../../shared/i18n.js';
import { api } from '../../../shared/api.js';

let lastReason = '';

function fmtSize(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MB';
  if (n >= 1024) return Math.round(n / 1024) + ' KB';
  return n + ' B';
}

function dur(seg) {
  const s = Math.max(0, Math.round((Date.parse(seg.end) - Date.parse(seg.start)) / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function renderRecordings(ctx, alarm) {
  const id = ctx.alarmId;
  let a = alarm;
  let data = { segments: [], snapshots: [], recording: false };
  let loaded = false;
  let asking = null; // {seq, track} or {all: true} while the reason form shows
  let playlist = []; // [{url, seq}] being played
  let playing = -1;
  let timer = null;

  const listBox = h('div', { class: 'mv-rec-list', 'data-testid': 'recordings-list' });
  const reasonBox = h('div', { class: 'mv-reason', hidden: true, 'data-testid': 'recording-reason' });
  const player = h('video', { class: 'mv-player', controls: true, playsInline: true, hidden: true, 'data-testid': 'recording-player' });
  const playerInfo = h('p', { class: 'muted small mv-player-info', hidden: true });
  const refreshBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'recordings-refresh', title: t('mv.rec.refresh'), onclick: () => load() }, t('mv.rec.refresh'));
  const el = h('section', { class: 'panel mv-rec', 'data-testid': 'recordings-panel' },
    h('header', { class: 'panel-hdr' }, h('h2', null, icon('video', { size: 18 }), ' ', t('mv.rec.title')), h('span', { class: 'al-spacer mv-spacer' }), refreshBtn),
    h('div', { class: 'panel-body' }, reasonBox, player, playerInfo, listBox));

  player.addEventListener('ended', () => {
    if (playing >= 0 && playing + 1 < playlist.length) playAt(playing + 1);
  });

  async function load() {
    try {
      data = (await api.get(`/api/v1/alarms/${id}/recordings`, { signal: ctx.signal })) || { segments: [], snapshots: [] };
      loaded = true;
    } catch (e) {
      if (ctx.signal?.aborted) return;
      loaded = true;
      mount(listBox, h('p', { class: 'form-msg' }, errorText(e)));
      return;
    }
    draw();
  }

  function draw() {
    const segs = (data.segments || []).slice().sort((x, y) => Date.parse(x.start) - Date.parse(y.start) || x.seq - y.seq);
    const snaps = data.snapshots || [];
    el.hidden = loaded && !segs.length && !snaps.length && !['video', 'silent', 'voice'].includes(a.kind) && !data.recording;
    const rows = [];
    if (data.recording) rows.push(h('p', { class: 'mv-rec-live', 'data-testid': 'recording-live' }, h('span', { class: 'mv-dot' }), t('mv.rec.live')));
    if (!segs.length) rows.push(h('p', { class: 'muted' }, !loaded ? t('mv.rec.loading') : data.recording ? t('mv.rec.pending') : t('mv.rec.none')));
    else {
      rows.push(h('div', { class: 'mv-rec-actions' },
        h('button', { type: 'button', class: 'btn primary', 'data-action': 'play-all', onclick: () => ask({ all: true }) }, t('mv.rec.playAll', { n: segs.length }))));
      rows.push(h('table', { class: 'table mv-rec-t' },
        h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, t('mv.rec.start')), h('th', null, t('mv.rec.len')),
          h('th', null, t('mv.rec.size')), h('th', null, 'SHA-256'), h('th', null, ''))),
        h('tbody', null, segs.map((s) => h('tr', { 'data-seq': String(s.seq), 'data-track': s.track || '' },
          h('td', { class: 'mono' }, String(s.seq)),
          h('td', { class: 'mono', title: fmtDateTime(s.start) }, fmtTime(s.start)),
          h('td', { class: 'mono' }, dur(s)),
          h('td', { class: 'mono' }, fmtSize(s.size || 0)),
          h('td', { class: 'mono', title: s.sha256 }, (s.sha256 || '').slice(0, 12) + '…'),
          h('td', null, h('button', { type: 'button', class: 'btn', 'data-action': 'play-segment', onclick: () => ask({ seq: s.seq, track: s.track }) }, t('mv.rec.play'))))))));
    }
    if (snaps.length) {
      rows.push(h('h3', { class: 'mv-sub' }, t('mv.rec.snapshots', { n: snaps.length })),
        h('ul', { class: 'mv-snaps', 'data-testid': 'snapshots-list' }, snaps.map((s) => h('li', null,
          h('span', { class: 'mono' }, fmtTime(s.taken_at)), ' ', h('span', null, s.taken_by || ''), ' ',
          h('span', { class: 'mono muted', title: s.sha256 }, (s.sha256 || '').slice(0, 12) + '…'), ' ', h('span', { class: 'muted' }, fmtSize(s.size || 0))))));
    }
    mount(listBox, rows);
  }

  function ask(what) {
    asking = what;
    const input = h('input', { class: 'input', name: 'reason', maxlength: '500', value: lastReason, placeholder: t('mv.rec.reasonHint'), 'data-testid': 'recording-reason-input' });
    const presets = ['mv.rec.r.review', 'mv.rec.r.evidence', 'mv.rec.r.supervise'].map((k) =>
      h('button', { type: 'button', class: 'mv-chip', onclick: () => { input.value = t(k); input.focus(); } }, t(k)));
    const msg = h('p', { class: 'form-msg', role: 'alert' });
    const form = h('form', { class: 'mv-reason-form', noValidate: true, onsubmit: async (ev) => {
      ev.preventDefault();
      const reason = input.value.trim();
      if (reason.length < 2) {
        msg.textContent = t('mv.rec.reasonNeeded');
        input.focus();
        return;
      }
      const btn = form.querySelector('button[type=submit]');
      btn.disabled = true;
      try {
        const body = { reason };
        if (!asking.all) {
          body.seq = asking.seq;
          if (asking.track) body.track = asking.track;
        }
        const res = await api.post(`/api/v1/alarms/${id}/recordings/play`, body);
        lastReason = reason;
        playlist = (res.segments || []).sort((x, y) => Date.parse(x.start) - Date.parse(y.start) || x.seq - y.seq);
        reasonBox.hidden = true;
        asking = null;
        if (playlist.length) playAt(0);
      } catch (e) {
        msg.textContent = errorText(e);
      } finally {
        btn.disabled = false;
      }
    } },
    h('p', null, h('b', null, t('mv.rec.reasonTitle')), ' ', h('span', { class: 'muted small' }, t('mv.rec.audited'))),
    h('div', { class: 'mv-chips' }, presets),
    input, msg,
    h('div', { class: 'mv-reason-btns' },
      h('button', { type: 'button', class: 'btn', onclick: () => { reasonBox.hidden = true; asking = null; } }, t('mv.rec.cancel')),
      h('button', { type: 'submit', class: 'btn primary', 'data-action': 'confirm-play' }, t('mv.rec.confirm'))));
    mount(reasonBox, form);
    reasonBox.hidden = false;
    input.focus();
  }

  function playAt(i) {
    playing = i;
    const s = playlist[i];
    player.hidden = false;
    playerInfo.hidden = false;
    playerInfo.textContent = t('mv.rec.nowPlaying', { seq: s.seq, at: fmtDateTime(s.start), i: i + 1, n: playlist.length });
    player.src = s.url;
    player.play().catch(() => { /* controls let the officer start it */ });
  }

  // A snapshot taken in the live panel (another column) bubbles up to the document.
  const onEvidence = () => load();
  document.addEventListener('media-evidence', onEvidence);
  load();
  const arm = () => {
    clearInterval(timer);
    timer = ['queued', 'answered', 'abandoned'].includes(a.state) ? setInterval(load, 15000) : null;
  };
  arm();
  return {
    el,
    update(next) {
      const was = a.state;
      a = next;
      if (was !== a.state) {
        arm();
        // The last segment is stored when the alarm closes: read again shortly after.
        if (a.state === 'closed' || a.state === 'cancelled') setTimeout(load, 1500);
        load();
      }
    },
    destroy() {
      clearInterval(timer);
      document.removeEventListener('media-evidence', onEvidence);
      player.removeAttribute('src');
      player.load();
    },
  };
}

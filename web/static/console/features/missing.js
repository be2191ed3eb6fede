// 寻人启事, console side: the centre's verification queue, the review of one
// notice with its media, verify/publish/reject/close, progress notes for the
// family, and sightings triage, live over /api/v1/missing/live.

import { h, icon, field, errorText, toast } from '../../shared/ui.js';
import { t, fmtDateTime, fmtAgo } from '../../shared/i18n.js';
import { api, request } from '../../shared/api.js';
import { connect } from '../../shared/ws.js';
import { navigate, currentPath } from '../../shared/router.js';

document.head.appendChild(h('style', null, `
.mc-tabs { display: flex; gap: 6px; margin: 0 0 12px; flex-wrap: wrap; }
.mc-tabs a { padding: 6px 12px; border-radius: 16px; background: #e8edf4; color: inherit; text-decoration: none; }
.mc-tabs a.active { background: #0b3d91; color: #fff; }
.mc-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
.mc-dl { display: grid; grid-template-columns: 8em 1fr; gap: 4px 10px; margin: 0; }
.mc-dl dt { color: #667; } .mc-dl dd { margin: 0; }
.mc-media { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
.mc-media img, .mc-media video { max-height: 220px; max-width: 100%; border-radius: 6px; border: 1px solid #ccd; }
.mc-box { border: 1px solid #d6dde8; border-radius: 8px; padding: 12px; margin-bottom: 12px; background: #fff; }
.mc-box h2 { margin: 0 0 8px; font-size: 16px; }
.mc-check { display: flex; gap: 8px; align-items: center; margin: 4px 0; }
.mc-sightings { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column; gap: 8px; }
.mc-sightings li { border: 1px solid #d6dde8; border-radius: 8px; padding: 8px; }
.mc-sightings li.new { border-color: #c22; }
.mc-sightings img { max-width: 160px; border-radius: 6px; display: block; margin-top: 6px; }
.mc-row { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin-top: 6px; }
.mc-state { padding: 1px 8px; border-radius: 10px; background: #e8edf4; font-size: 12px; }
.mc-state.submitted { background: #fff0c2; } .mc-state.verifying { background: #dbe8ff; } .mc-state.published { background: #fde2e2; }
`));

const TABS = ['submitted,verifying', 'published', 'closed,rejected'];
const ACTING = ['handler', 'supervisor', 'admin'];

function stateTag(d) {
  return h('span', { class: ['mc-state', d.state], 'data-state': d.state },
    t(d.state === 'closed' && d.closure ? 'mc.outcome.' + d.closure.outcome : 'mc.state.' + d.state));
}

async function renderQueue(ctx) {
  const tab = ctx.query.state || TABS[0];
  const panel = h('section', { class: 'panel', 'data-testid': 'missing-queue' },
    h('header', { class: 'panel-hdr' }, h('h1', null, t('mc.title')), h('p', { class: 'muted' }, t('mc.explain'))),
    h('nav', { class: 'mc-tabs' }, TABS.map((s) => h('a', { href: '#/missing?state=' + s, class: s === tab ? 'active' : null, 'data-tab': s }, t('mc.tab.' + s)))));
  try {
    const { notices } = await api.get('/api/v1/missing/notices', { query: { state: tab }, signal: ctx.signal });
    if (!notices.length) {
      panel.appendChild(h('div', { class: 'empty' }, icon('missing', { size: 40 }), h('p', { class: 'empty-title' }, t('mc.empty'))));
      return panel;
    }
    panel.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', null, h('tr', null, ['mc.col.state', 'mc.col.name', 'mc.col.lastSeen', 'mc.col.unit', 'mc.col.created', 'mc.col.center'].map((k) => h('th', null, t(k))))),
      h('tbody', null, notices.map((d) => h('tr', { 'data-notice': d.id, style: 'cursor:pointer', onclick: () => navigate('/missing/' + d.id) },
        h('td', null, stateTag(d)),
        h('td', null, h('a', { href: '#/missing/' + d.id }, d.person.name), ' ', t('mc.sex.' + d.person.sex), ' ', d.person.age ?? '', t('mc.years')),
        h('td', null, fmtDateTime(d.last_seen.at), ' ', d.last_seen.place),
        h('td', null, d.police.unit?.name || d.police.unit?.code),
        h('td', { title: fmtDateTime(d.created_at) }, fmtAgo(d.created_at)),
        h('td', null, d.center?.name)))))));
  } catch (e) {
    panel.appendChild(h('p', { class: 'form-msg' }, errorText(e)));
  }
  return panel;
}

function blobInto(ctx, url, make) {
  return request('GET', url, { raw: true, signal: ctx.signal }).then((r) => r.blob()).then((b) => {
    const u = URL.createObjectURL(b);
    ctx.onLeave(() => URL.revokeObjectURL(u));
    return make(u);
  });
}

async function renderNotice(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  let d;
  let sightings = [];
  try {
    d = await api.get('/api/v1/missing/notices/' + id, { signal: ctx.signal });
    if (d.state === 'published' || d.state === 'closed') sightings = (await api.get('/api/v1/missing/notices/' + id + '/sightings', { signal: ctx.signal })).sightings;
  } catch (e) {
    return h('section', { class: 'panel' }, h('p', { class: 'form-msg' }, errorText(e)), h('a', { href: '#/missing' }, t('mc.back')));
  }
  const canAct = ctx.shell.hasRole(...ACTING);
  const act = async (verb, body) => {
    try {
      await api.post('/api/v1/missing/notices/' + id + '/' + verb, body);
      toast(t('mc.done.' + verb), 'ok');
      ctx.shell.refresh();
    } catch (e) {
      toast(errorText(e), 'error', 6000);
    }
  };
  const p = d.person;
  const media = h('div', { class: 'mc-media', 'data-testid': 'notice-media' });
  for (const m of d.media || []) {
    blobInto(ctx, m.url, (u) => media.appendChild(m.kind === 'video' ? h('video', { src: u, controls: true }) : h('img', { src: u, alt: p.name }))).catch(() => {});
  }
  const rows = [
    ['mc.name', p.name], ['mc.sexAge', t('mc.sex.' + p.sex) + ' ' + (p.age ?? '') + t('mc.years') + (p.birth_date ? ' (' + p.birth_date + ')' : '')],
    ['mc.height', p.height_cm ? p.height_cm + ' cm' : ''], ['mc.build', p.build ? t('mc.build.' + p.build) : ''],
    ['mc.features', p.features], ['mc.clothing', p.clothing],
    ['mc.lastSeenAt', fmtDateTime(d.last_seen.at)], ['mc.place', d.last_seen.place],
    ['mc.position', d.last_seen.position.lat.toFixed(5) + ', ' + d.last_seen.position.lng.toFixed(5) + ' (' + [d.last_seen.city?.name, d.last_seen.county?.name].filter(Boolean).join(' ') + ')'],
    ['mc.unit', (d.police.unit?.name || '') + ' ' + d.police.unit?.code], ['mc.unitPhone', d.police.phone], ['mc.caseNumber', d.police.case_number],
    ['mc.initiator', [d.initiator.name, t('mc.rel.' + d.initiator.relation), d.initiator.phone].filter(Boolean).join(' · ')],
    ['mc.address', d.initiator.address], ['mc.center', d.center?.name], ['mc.created', fmtDateTime(d.created_at)],
  ];
  const info = h('div', { class: 'mc-box' }, h('h2', null, p.name, ' ', stateTag(d)),
    media,
    h('dl', { class: 'mc-dl', 'data-testid': 'notice-details' }, rows.filter(([, v]) => v && String(v).trim()).map(([k, v]) => [h('dt', null, t(k)), h('dd', null, v)])));

  const side = [];
  if (d.verification?.checks && Object.keys(d.verification.checks).length) {
    const c = d.verification.checks;
    side.push(h('div', { class: 'mc-box' }, h('h2', null, t('mc.checked')),
      h('p', null, ['initiator_contacted', 'unit_confirmed', 'case_number_confirmed'].map((k) => (c[k] ? '✔ ' : '✘ ') + t('mc.check.' + k)).join('  ')),
      c.note ? h('p', null, c.note) : null, h('p', { class: 'muted' }, (c.by || '') + ' ' + (c.at ? fmtDateTime(c.at) : ''))));
  }
  if (d.reject_reason) side.push(h('div', { class: 'mc-box' }, h('h2', null, t('mc.rejected')), h('p', null, d.reject_reason)));
  if (d.closure) side.push(h('div', { class: 'mc-box' }, h('h2', null, t('mc.outcome.' + d.closure.outcome)), h('p', null, d.closure.notice)));
  if (canAct && d.state === 'submitted') {
    const b = h('button', { type: 'button', class: 'btn primary', 'data-action': 'verify' }, t('mc.verify'));
    b.onclick = () => act('verify', { note: '' });
    side.push(h('div', { class: 'mc-box' }, h('h2', null, t('mc.verifyTitle')), h('p', { class: 'muted' }, t('mc.verifyExplain')), b));
  }
  if (canAct && (d.state === 'submitted' || d.state === 'verifying')) {
    const chk = (name) => h('input', { type: 'checkbox', name });
    const c1 = chk('initiator_contacted');
    const c2 = chk('unit_confirmed');
    const c3 = chk('case_number_confirmed');
    const note = h('textarea', { class: 'input', name: 'check_note', rows: 2, maxlength: 500, placeholder: t('mc.checkNoteHint') });
    const place = h('input', { class: 'input', name: 'place_public', maxlength: 200, placeholder: d.last_seen.place });
    const reason = h('textarea', { class: 'input', name: 'reject_reason', rows: 2, maxlength: 500 });
    const checks = () => ({ initiator_contacted: c1.checked, unit_confirmed: c2.checked, case_number_confirmed: c3.checked, note: note.value });
    const pub = h('button', { type: 'button', class: 'btn primary', 'data-action': 'publish', disabled: d.state !== 'verifying' }, t('mc.publish'));
    pub.onclick = () => act('publish', { checks: checks(), place_public: place.value });
    const rej = h('button', { type: 'button', class: 'btn danger', 'data-action': 'reject' }, t('mc.reject'));
    rej.onclick = () => act('reject', { reason: reason.value, checks: checks() });
    side.push(h('div', { class: 'mc-box', 'data-testid': 'verify-box' }, h('h2', null, t('mc.decide')),
      h('label', { class: 'mc-check' }, c1, t('mc.check.initiator_contacted')),
      h('label', { class: 'mc-check' }, c2, t('mc.check.unit_confirmed')),
      h('label', { class: 'mc-check' }, c3, t('mc.check.case_number_confirmed')),
      field(t('mc.checkNote'), note),
      field(t('mc.placePublic'), place, t('mc.placePublicHint')),
      h('div', { class: 'mc-row' }, pub),
      field(t('mc.rejectReason'), reason, t('mc.rejectHint')),
      h('div', { class: 'mc-row' }, rej)));
  }
  if (canAct && d.state === 'published') {
    const outcome = h('select', { class: 'input', name: 'outcome' }, ['found', 'withdrawn', 'hoax'].map((o) => h('option', { value: o }, t('mc.outcome.' + o))));
    const text = h('textarea', { class: 'input', name: 'closure_notice', rows: 2, maxlength: 500, placeholder: t('mc.closureHint') });
    const close = h('button', { type: 'button', class: 'btn primary', 'data-action': 'close' }, t('mc.close'));
    close.onclick = () => act('close', { outcome: outcome.value, notice: text.value });
    const prog = h('textarea', { class: 'input', name: 'progress', rows: 2, maxlength: 500 });
    const send = h('button', { type: 'button', class: 'btn', 'data-action': 'progress' }, t('mc.sendProgress'));
    send.onclick = () => act('progress', { text: prog.value });
    side.push(h('div', { class: 'mc-box' }, h('h2', null, t('mc.published')), h('p', { class: 'muted' }, t('mc.radius', { km: d.alert_radius_km })),
      h('a', { href: '/#/missing/p/' + d.id, target: '_blank', rel: 'noopener' }, t('mc.viewPublic'))),
    h('div', { class: 'mc-box' }, h('h2', null, t('mc.progress')), field(t('mc.progressText'), prog, t('mc.progressHint')), send),
    h('div', { class: 'mc-box', 'data-testid': 'close-box' }, h('h2', null, t('mc.closeTitle')), field(t('mc.outcome'), outcome), field(t('mc.closureNotice'), text), close));
  }
  // Sightings, newest first.
  let sightBox = null;
  if (d.state === 'published' || d.state === 'closed') {
    sightBox = h('div', { class: 'mc-box' }, h('h2', null, t('mc.sightings'), ' (', String(sightings.length), ')'),
      sightings.length ? h('ul', { class: 'mc-sightings', 'data-testid': 'sightings' }, sightings.map((s) => {
        const li = h('li', { class: s.status, 'data-sighting': s.id },
          h('div', null, h('strong', null, fmtDateTime(s.created_at)), ' · ', s.anonymous ? t('mc.anonymous') : s.phone, ' · ', h('span', { 'data-status': s.status }, t('mc.status.' + s.status))),
          h('p', null, s.text),
          s.seen_at ? h('p', { class: 'muted' }, t('mc.seenAt'), ' ', fmtDateTime(s.seen_at)) : null,
          s.position ? h('p', { class: 'muted' }, t('mc.seenWhere'), ' ', s.position.lat.toFixed(5), ', ', s.position.lng.toFixed(5)) : null,
          s.note ? h('p', { class: 'muted' }, s.triaged_by, ': ', s.note) : null);
        if (s.photo_url) blobInto(ctx, s.photo_url, (u) => li.appendChild(h('img', { src: u, alt: '' }))).catch(() => {});
        if (canAct) {
          const note = h('input', { class: 'input', name: 'triage_note', placeholder: t('mc.triageNote'), style: 'flex:1 1 160px' });
          const btn = (status) => {
            const b = h('button', { type: 'button', class: 'btn', 'data-triage': status }, t('mc.status.' + status));
            b.onclick = async () => {
              try {
                await api.post('/api/v1/missing/sightings/' + s.id + '/triage', { status, note: note.value });
                ctx.shell.refresh();
              } catch (e) {
                toast(errorText(e), 'error');
              }
            };
            return b;
          };
          li.appendChild(h('div', { class: 'mc-row' }, note, btn('relevant'), btn('followed_up'), btn('not_relevant'), btn('duplicate')));
        }
        return li;
      })) : h('p', { class: 'muted' }, t('mc.noSightings')));
  }
  return h('section', { class: 'panel', 'data-testid': 'missing-review' },
    h('header', { class: 'panel-hdr' }, h('a', { href: '#/missing' }, '← ', t('mc.back')), h('h1', null, t('mc.review'))),
    h('div', { class: 'mc-grid' }, h('div', null, info, sightBox), h('div', null, side)));
}

let unseen = 0;

function init(shell) {
  const sock = connect('/api/v1/missing/live', {
    onMessage(m) {
      if (m?.type !== 'event' || !m.event) return;
      const e = m.event;
      const path = currentPath().path;
      if (e.kind === 'submitted') toast(t('mc.live.submitted'), 'info', 6000);
      if (e.kind === 'sighting') toast(t('mc.live.sighting'), 'error', 6000);
      if (e.kind === 'submitted' || e.kind === 'sighting') {
        unseen++;
        if (!path.startsWith('/missing')) shell.setBadge('missing', unseen);
      }
      if (path === '/missing' || path === '/missing/' + e.notice_id) shell.refresh();
    },
  });
  return () => {
    sock.close();
    unseen = 0;
  };
}

function clearBadge(render) {
  return (ctx) => {
    unseen = 0;
    ctx.shell.setBadge('missing', 0);
    return render(ctx);
  };
}

export default {
  id: 'missing',
  init,
  nav: [{ id: 'missing', label: 'nav.missing', icon: 'missing', route: '/missing', order: 30 }],
  routes: {
    '/missing': clearBadge(renderQueue),
    '/missing/:id': clearBadge(renderNotice),
  },
  strings: {
    'zh-CN': {
      'mc.title': '寻人启事核实与发布',
      'mc.explain': '群众提交的寻人启事须与发起人和受理单位核实后方可发布；未核实的信息不会公开。',
      'mc.tab.submitted,verifying': '待核实',
      'mc.tab.published': '已发布',
      'mc.tab.closed,rejected': '已结案/未通过',
      'mc.empty': '暂无寻人启事',
      'mc.col.state': '状态', 'mc.col.name': '失踪人', 'mc.col.lastSeen': '失踪时间地点', 'mc.col.unit': '受理单位', 'mc.col.created': '提交', 'mc.col.center': '指挥中心',
      'mc.state.submitted': '待核实', 'mc.state.verifying': '核实中', 'mc.state.published': '已发布', 'mc.state.rejected': '未通过', 'mc.state.closed': '已结案',
      'mc.outcome': '结果', 'mc.outcome.found': '已找到', 'mc.outcome.withdrawn': '撤回', 'mc.outcome.hoax': '虚假信息',
      'mc.sex.male': '男', 'mc.sex.female': '女', 'mc.years': '岁',
      'mc.build.slim': '偏瘦', 'mc.build.medium': '中等', 'mc.build.stout': '偏胖',
      'mc.rel.parent': '父母', 'mc.rel.child': '子女', 'mc.rel.spouse': '配偶', 'mc.rel.sibling': '兄弟姐妹', 'mc.rel.grandparent': '祖父母', 'mc.rel.grandchild': '孙子女', 'mc.rel.relative': '近亲属', 'mc.rel.guardian': '监护人',
      'mc.back': '返回列表', 'mc.review': '寻人启事审核',
      'mc.name': '姓名', 'mc.sexAge': '性别年龄', 'mc.height': '身高', 'mc.build': '体型', 'mc.features': '体貌特征', 'mc.clothing': '衣着',
      'mc.lastSeenAt': '失踪时间', 'mc.place': '失踪地点', 'mc.position': '坐标', 'mc.unit': '受理单位', 'mc.unitPhone': '单位电话', 'mc.caseNumber': '受案编号',
      'mc.initiator': '发起人', 'mc.address': '家庭住址', 'mc.center': '负责中心', 'mc.created': '提交时间',
      'mc.checked': '核实记录', 'mc.rejected': '未通过原因',
      'mc.verifyTitle': '开始核实', 'mc.verifyExplain': '联系发起人和受理单位，核对受案编号。', 'mc.verify': '开始核实',
      'mc.decide': '核实结果',
      'mc.check.initiator_contacted': '已联系发起人', 'mc.check.unit_confirmed': '受理单位已确认受理', 'mc.check.case_number_confirmed': '受案编号一致',
      'mc.checkNote': '核实说明', 'mc.checkNoteHint': '例如：已与长安分局值班室电话核实',
      'mc.placePublic': '公开的失踪地点（选填）', 'mc.placePublicHint': '如原地点含家庭住址等，可改写为公开表述。',
      'mc.publish': '核实无误，发布', 'mc.reject': '不予发布', 'mc.rejectReason': '不予发布的原因', 'mc.rejectHint': '发起人可以看到这个原因。',
      'mc.published': '已发布', 'mc.radius': '当前提醒半径：{km} 公里（随失踪时间扩大）', 'mc.viewPublic': '查看公开页面',
      'mc.progress': '向发起人通报进展', 'mc.progressText': '进展说明', 'mc.progressHint': '发起人可以看到；不要写线索提供人的信息。', 'mc.sendProgress': '发送',
      'mc.closeTitle': '结案', 'mc.closureNotice': '结案公告（选填，默认使用标准表述）', 'mc.closureHint': '公开显示，替代原寻人启事', 'mc.close': '结案',
      'mc.sightings': '群众线索', 'mc.noSightings': '暂无线索', 'mc.anonymous': '匿名', 'mc.seenAt': '看到时间', 'mc.seenWhere': '位置',
      'mc.status.new': '新线索', 'mc.status.relevant': '有价值', 'mc.status.followed_up': '已核查', 'mc.status.not_relevant': '无价值', 'mc.status.duplicate': '重复',
      'mc.triageNote': '研判说明',
      'mc.done.verify': '已开始核实', 'mc.done.publish': '已发布', 'mc.done.reject': '已退回', 'mc.done.close': '已结案', 'mc.done.progress': '已发送',
      'mc.live.submitted': '有新的寻人启事待核实', 'mc.live.sighting': '收到新的寻人线索',
    },
    en: {
      'mc.title': 'Missing persons: verify and publish',
      'mc.explain': 'Notices from the public are published only after checking with the family and the accepting police unit; nothing unverified is public.',
      'mc.tab.submitted,verifying': 'To verify',
      'mc.tab.published': 'Published',
      'mc.tab.closed,rejected': 'Closed / rejected',
      'mc.empty': 'No notices',
      'mc.col.state': 'State', 'mc.col.name': 'Person', 'mc.col.lastSeen': 'Last seen', 'mc.col.unit': 'Accepting unit', 'mc.col.created': 'Submitted', 'mc.col.center': 'Centre',
      'mc.state.submitted': 'To verify', 'mc.state.verifying': 'Verifying', 'mc.state.published': 'Published', 'mc.state.rejected': 'Rejected', 'mc.state.closed': 'Closed',
      'mc.outcome': 'Outcome', 'mc.outcome.found': 'Found', 'mc.outcome.withdrawn': 'Withdrawn', 'mc.outcome.hoax': 'Hoax',
      'mc.sex.male': 'male', 'mc.sex.female': 'female', 'mc.years': ' y',
      'mc.build.slim': 'slim', 'mc.build.medium': 'medium', 'mc.build.stout': 'stout',
      'mc.rel.parent': 'parent', 'mc.rel.child': 'child', 'mc.rel.spouse': 'spouse', 'mc.rel.sibling': 'sibling', 'mc.rel.grandparent': 'grandparent', 'mc.rel.grandchild': 'grandchild', 'mc.rel.relative': 'relative', 'mc.rel.guardian': 'guardian',
      'mc.back': 'Back to the list', 'mc.review': 'Review a notice',
      'mc.name': 'Name', 'mc.sexAge': 'Sex, age', 'mc.height': 'Height', 'mc.build': 'Build', 'mc.features': 'Features', 'mc.clothing': 'Clothing',
      'mc.lastSeenAt': 'Last seen', 'mc.place': 'Place', 'mc.position': 'Position', 'mc.unit': 'Accepting unit', 'mc.unitPhone': 'Unit phone', 'mc.caseNumber': 'Case number',
      'mc.initiator': 'Family', 'mc.address': 'Home address', 'mc.center': 'Responsible centre', 'mc.created': 'Submitted',
      'mc.checked': 'What was checked', 'mc.rejected': 'Reason for rejection',
      'mc.verifyTitle': 'Start verification', 'mc.verifyExplain': 'Call the family and the accepting unit; compare the case number.', 'mc.verify': 'Start verification',
      'mc.decide': 'Decision',
      'mc.check.initiator_contacted': 'Family contacted', 'mc.check.unit_confirmed': 'Unit confirmed the report', 'mc.check.case_number_confirmed': 'Case number matches',
      'mc.checkNote': 'Notes', 'mc.checkNoteHint': 'E.g. confirmed by phone with the Chang\'an duty office',
      'mc.placePublic': 'Public wording of the place (optional)', 'mc.placePublicHint': 'Rewrite it if the place reveals a home address.',
      'mc.publish': 'Verified: publish', 'mc.reject': 'Reject', 'mc.rejectReason': 'Reason', 'mc.rejectHint': 'The family sees this reason.',
      'mc.published': 'Published', 'mc.radius': 'Alert radius now: {km} km (grows with time missing)', 'mc.viewPublic': 'Public page',
      'mc.progress': 'Progress for the family', 'mc.progressText': 'Progress', 'mc.progressHint': 'The family sees it; do not name senders of sightings.', 'mc.sendProgress': 'Send',
      'mc.closeTitle': 'Close', 'mc.closureNotice': 'Closure notice (optional; a standard text otherwise)', 'mc.closureHint': 'Public; replaces the notice', 'mc.close': 'Close the notice',
      'mc.sightings': 'Sightings', 'mc.noSightings': 'No sightings yet', 'mc.anonymous': 'anonymous', 'mc.seenAt': 'Seen at', 'mc.seenWhere': 'Where',
      'mc.status.new': 'new', 'mc.status.relevant': 'Relevant', 'mc.status.followed_up': 'Followed up', 'mc.status.not_relevant': 'Not relevant', 'mc.status.duplicate': 'Duplicate',
      'mc.triageNote': 'Triage note',
      'mc.done.verify': 'Verification started', 'mc.done.publish': 'Published', 'mc.done.reject': 'Rejected', 'mc.done.close': 'Closed', 'mc.done.progress': 'Sent',
      'mc.live.submitted': 'A new missing-person notice awaits verification', 'mc.live.sighting': 'A new sighting arrived',
    },
  },
};

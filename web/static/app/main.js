// The citizen app shell: session, router, home screen, language switch and
// the offline banner. Features plug in through ./features.js, which the
// server generates from ./features/*.js (web/README.md).

import '../shared/strings.js';
import { t, addStrings, lang, setLang, onLangChange } from '../shared/i18n.js';
import { api, token, setToken, setTokenKey, onSignedOut, onConnectivity, isOnline } from '../shared/api.js';
import { createRouter, navigate, currentPath } from '../shared/router.js';
import { h, icon, mount, notAvailable, toast, langSwitch, screen, emergencyBar } from '../shared/ui.js';
import { FUNCTIONS } from './functions.js';
import { renderHome } from './home.js';
import { renderSignIn } from './signin.js';
import features from './features.js';

addStrings({
  'zh-CN': {
    'app.name': '公安110',
    'app.title': '公安110',
    'app.signedInAs': '已登录 {phone}',
  },
  en: {
    'app.name': 'Police 110',
    'app.title': 'Police 110',
    'app.signedInAs': 'Signed in as {phone}',
  },
});

setTokenKey('open110.token');
const ME_KEY = 'open110.me';

let me = (() => {
  try {
    return JSON.parse(localStorage.getItem(ME_KEY) || 'null');
  } catch {
    return null;
  }
})();
const badges = new Map();
let cleanups = [];

const root = document.getElementById('root');
const banner = h('div', { class: 'offline-banner', role: 'alert', hidden: true });
const outlet = h('main', { id: 'outlet' });
mount(root, banner, outlet);

function renderBanner() {
  banner.hidden = isOnline();
  mount(banner, h('p', null, icon('offline', { size: 18 }), h('span', null, t('common.offline'))), emergencyBar({ compact: true }));
}
onConnectivity(renderBanner);
renderBanner();

function setMe(p) {
  me = p;
  try {
    if (p) localStorage.setItem(ME_KEY, JSON.stringify(p));
    else localStorage.removeItem(ME_KEY);
  } catch { /* ignore */ }
}

/** What features get: the shell's services. */
const shell = {
  navigate,
  /** The signed-in citizen: { kind: 'citizen', id, phone } or null. */
  me: () => me,
  signedIn: () => !!token(),
  signOut,
  toast,
  /** Shows n (0 hides it) on a home tile, e.g. setBadge('guardian', 2). */
  setBadge(fnId, n) {
    if (n) badges.set(fnId, n);
    else badges.delete(fnId);
    if (currentPath().path === '/') router.render();
  },
  /** Re-renders the current screen (e.g. after data changed). */
  refresh: () => router.render(),
  isOnline,
};

const router = createRouter({
  outlet,
  ctxExtra: { shell },
  guard(route, ctx) {
    if (route.meta.public || token()) return null;
    return '/signin' + (ctx.path !== '/' ? '?next=' + encodeURIComponent(ctx.path) : '');
  },
  notFound: (ctx) => screen({ title: t('common.notFound'), back: '/' },
    h('p', { class: 'na-desc' }, ctx.error ? t('error.unknown') : t('common.notFound')), emergencyBar()),
  onRender() {
    document.title = t('app.title');
  },
});

function topbar() {
  const who = me?.phone ? h('span', { class: 'who' }, t('app.signedInAs', { phone: prettyPhone(me.phone) })) : null;
  return h('header', { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'brand-mark' }, icon('badge', { size: 26 }), h('b', null, '110')), h('span', { class: 'brand-name' }, t('app.name'))),
    h('div', { class: 'topbar-actions' },
      langSwitch(lang, setLang),
      token() ? h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.signOut'), title: t('common.signOut'), 'data-action': 'signout', onclick: signOut }, icon('logout', { size: 20 })) : null),
    who);
}

/** "+8613800138000" → "138 0013 8000": how people read their own number. */
function prettyPhone(p) {
  const d = String(p).replace(/^\+86/, '').replace(/\D/g, '');
  return d.length === 11 ? d.slice(0, 3) + ' ' + d.slice(3, 7) + ' ' + d.slice(7) : p;
}

router.add('/', (ctx) => h('div', { class: 'page' }, topbar(), renderHome(ctx, { features, badges })));
router.add('/signin', (ctx) => {
  if (token()) {
    queueMicrotask(() => navigate(ctx.query.next || '/', { replace: true }));
  }
  return h('div', { class: 'page' }, topbar(), renderSignIn(ctx, async (res) => {
    setMe(res.user || null);
    try {
      setMe(await api.get('/api/v1/me'));
    } catch { /* the sign-in answer had enough */ }
    startFeatures();
    navigate(ctx.query.next && ctx.query.next.startsWith('/') ? ctx.query.next : '/', { replace: true });
  }));
}, { public: true });

for (const f of features) {
  if (f.strings) addStrings(f.strings);
  for (const [pattern, r] of Object.entries(f.routes || {})) {
    const render = typeof r === 'function' ? r : r.render;
    router.add(pattern, render, { public: !!r.public, feature: f.id });
  }
}
// A function no feature has claimed yet says so plainly.
for (const fn of FUNCTIONS) {
  if (!router.match(fn.route)) router.add(fn.route, () => notAvailable('fn.' + fn.id, 'fn.' + fn.id + '.desc'), { public: true });
}

function startFeatures() {
  stopFeatures();
  for (const f of features) {
    if (typeof f.init !== 'function') continue;
    try {
      const c = f.init(shell);
      if (typeof c === 'function') cleanups.push(c);
    } catch (e) {
      console.error('init of', f.id, e);
    }
  }
}

function stopFeatures() {
  for (const c of cleanups) {
    try {
      c();
    } catch (e) {
      console.error(e);
    }
  }
  cleanups = [];
  badges.clear();
}

async function signOut() {
  const had = token();
  stopFeatures();
  if (had) {
    try {
      await api.post('/api/v1/auth/logout', null, { timeoutMs: 4000 });
    } catch { /* the token is dropped here either way */ }
  }
  setToken('');
  setMe(null);
  navigate('/signin', { replace: true });
}

onSignedOut(() => {
  stopFeatures();
  setMe(null);
  toast(t('error.invalid_token'), 'error');
  navigate('/signin', { replace: true });
});

onLangChange(() => {
  renderBanner();
  router.render();
});

async function boot() {
  if (token()) {
    try {
      setMe(await api.get('/api/v1/me'));
    } catch (e) {
      // Offline: keep the cached identity; the home screen and its call
      // links still work. A rejected token was handled by onSignedOut.
      if (!e.offline) console.warn('me:', e);
    }
    if (token()) startFeatures();
  }
  await router.start();
  document.body.classList.add('ready');
}

boot();

// The dispatcher console shell: officer sign-in (password, then TOTP when
// the server asks), the top bar (centre, clock, officer), the navigation
// and the router. Features plug in through ./features.js, which the server
// generates from ./features/*.js (web/README.md).

import '../shared/strings.js';
import { t, addStrings, lang, setLang, onLangChange, fmtTime, fmtDate } from '../shared/i18n.js';
import { api, token, setToken, setTokenKey, onSignedOut, onConnectivity, isOnline } from '../shared/api.js';
import { createRouter, navigate, currentPath } from '../shared/router.js';
import { h, icon, mount, toast, langSwitch, field, errorText } from '../shared/ui.js';
import { NAV, placeholder } from './nav.js';
import features from './features.js';

addStrings({
  'zh-CN': {
    'console.title': '110接警台',
    'console.product': '接警工作台',
    'console.signin.title': '民警登录',
    'console.signin.username': '用户名',
    'console.signin.password': '密码',
    'console.signin.totp': '动态码',
    'console.signin.totpHint': '请输入身份验证器App中显示的6位数字。',
    'console.signin.submit': '登录',
    'console.signin.busy': '正在登录…',
    'console.signin.notOfficer': '该账号不是民警账号。',
    'console.role.dispatcher': '接警员',
    'console.role.handler': '处理民警',
    'console.role.supervisor': '值班长',
    'console.role.admin': '管理员',
    'console.offline': '与服务器的连接已中断，正在重试…',
    'console.nav': '功能导航',
  },
  en: {
    'console.title': '110 Console',
    'console.product': 'Dispatch console',
    'console.signin.title': 'Officer sign-in',
    'console.signin.username': 'Username',
    'console.signin.password': 'Password',
    'console.signin.totp': 'Authenticator code',
    'console.signin.totpHint': 'Enter the 6 digits shown in your authenticator app.',
    'console.signin.submit': 'Sign in',
    'console.signin.busy': 'Signing in…',
    'console.signin.notOfficer': 'This is not an officer account.',
    'console.role.dispatcher': 'Dispatcher',
    'console.role.handler': 'Handling officer',
    'console.role.supervisor': 'Supervisor',
    'console.role.admin': 'Administrator',
    'console.offline': 'Connection to the server lost. Retrying…',
    'console.nav': 'Navigation',
  },
});

setTokenKey('open110.console.token');

let me = null; // { kind:'officer', id, username, name, role, center:{code,name,level} }
let cleanups = [];
const badges = new Map();
const root = document.getElementById('root');

// Navigation: the shell's defaults (nav.js), then each feature's entries
// (same id replaces), ordered by `order`.
const navItems = new Map(NAV.map((n) => [n.id, n]));
for (const f of features) {
  if (f.strings) addStrings(f.strings);
  for (const n of f.nav || []) navItems.set(n.id, { ...navItems.get(n.id), ...n, feature: f.id });
}

const shell = {
  navigate,
  /** The signed-in officer: { kind, id, username, name, role, center: { code, name } }. */
  me: () => me,
  signOut,
  toast,
  /** Shows n on a navigation entry (0 hides it), e.g. setBadge('queue', 3). */
  setBadge(navId, n) {
    if (n) badges.set(navId, n);
    else badges.delete(navId);
    renderNav();
  },
  refresh: () => router.render(),
  isOnline,
  /** Whether the officer has one of roles. */
  hasRole: (...roles) => !!me && roles.includes(me.role),
};

const layout = {
  top: h('header', { class: 'c-top' }),
  banner: h('div', { class: 'c-offline', role: 'alert', hidden: true }),
  nav: h('nav', { class: 'c-nav' }),
  main: h('main', { class: 'c-main', id: 'outlet' }),
};

const router = createRouter({
  outlet: layout.main,
  ctxExtra: { shell },
  guard(route) {
    const roles = route.meta.roles;
    if (roles && me && !roles.includes(me.role)) return '/';
    return null;
  },
  notFound: () => h('div', { class: 'panel' }, h('p', null, t('common.notFound'))),
  onRender() {
    renderNav();
    document.title = (me?.center?.name ? me.center.name + ' · ' : '') + t('console.title');
  },
});

router.add('/', () => {
  queueMicrotask(() => navigate(firstNav()?.route || '/queue', { replace: true }));
  return h('div');
});
for (const f of features) {
  for (const [pattern, r] of Object.entries(f.routes || {})) {
    router.add(pattern, typeof r === 'function' ? r : r.render, { roles: r.roles, feature: f.id });
  }
}
for (const n of navItems.values()) {
  if (!router.match(n.route)) router.add(n.route, (ctx) => placeholder(n, ctx), { roles: n.roles });
}

function visibleNav() {
  return [...navItems.values()]
    .filter((n) => !n.roles || (me && n.roles.includes(me.role)))
    .sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
}

function firstNav() {
  return visibleNav()[0];
}

function renderNav() {
  const path = currentPath().path;
  mount(layout.nav, h('ul', { 'aria-label': t('console.nav') }, visibleNav().map((n) => {
    const active = path === n.route || path.startsWith(n.route + '/');
    const count = badges.get(n.id);
    return h('li', null, h('a', { href: '#' + n.route, class: ['c-nav-item', active && 'active'], 'aria-current': active ? 'page' : null, 'data-nav': n.id },
      icon(n.icon || 'chevron', { size: 20 }), h('span', null, t(n.label)), count ? h('span', { class: 'c-badge' }, String(count)) : null));
  })));
}

let clockTimer = null;
function renderTop() {
  const clock = h('div', { class: 'c-clock', title: t('common.beijingTime') },
    h('span', { class: 'c-clock-time' }), h('span', { class: 'c-clock-date' }));
  const tick = () => {
    const now = new Date();
    clock.firstChild.textContent = fmtTime(now);
    clock.lastChild.textContent = fmtDate(now) + ' ' + t('common.beijingTime');
  };
  tick();
  clearInterval(clockTimer);
  clockTimer = setInterval(tick, 1000);
  const extras = [];
  for (const f of features) {
    if (typeof f.header !== 'function') continue;
    try {
      const n = f.header(shell);
      if (n) extras.push(n);
    } catch (e) {
      console.error('header of', f.id, e);
    }
  }
  mount(layout.top,
    h('div', { class: 'c-brand' }, h('span', { class: 'c-mark' }, '110'),
      h('div', null, h('div', { class: 'c-center', 'data-testid': 'center-name' }, me.center?.name || ''), h('div', { class: 'c-product' }, t('console.product')))),
    h('div', { class: 'c-top-right' },
      extras,
      clock,
      h('div', { class: 'c-officer', 'data-testid': 'officer' }, icon('user', { size: 20 }),
        h('div', null, h('div', { class: 'c-officer-name' }, me.name || me.username), h('div', { class: 'c-officer-role' }, t('console.role.' + me.role) + ' · ' + me.username))),
      langSwitch(lang, setLang, 'on-dark'),
      h('button', { type: 'button', class: 'icon-btn on-dark', title: t('common.signOut'), 'aria-label': t('common.signOut'), 'data-action': 'signout', onclick: signOut }, icon('logout', { size: 20 }))));
}

function renderBanner() {
  layout.banner.hidden = isOnline();
  layout.banner.textContent = t('console.offline');
}
onConnectivity(renderBanner);

function showShell() {
  document.body.classList.remove('signed-out');
  mount(root, h('div', { class: 'c-shell' }, layout.top, layout.banner, h('div', { class: 'c-body' }, layout.nav, layout.main)));
  renderTop();
  renderBanner();
  startFeatures();
  if (!started) {
    started = true;
    router.start();
  } else {
    router.render();
  }
}
let started = false;

function showSignIn(message) {
  clearInterval(clockTimer);
  document.body.classList.add('signed-out');
  const username = h('input', { class: 'input', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: false });
  const password = h('input', { class: 'input', type: 'password', name: 'password', autocomplete: 'current-password' });
  const totp = h('input', { class: 'input code', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', pattern: '[0-9]*' });
  const totpField = field(t('console.signin.totp'), totp, t('console.signin.totpHint'));
  totpField.hidden = true;
  const msg = h('p', { class: 'form-msg', role: 'alert' }, message || '');
  const submit = h('button', { type: 'submit', class: 'btn primary block' }, t('console.signin.submit'));

  async function onSubmit(ev) {
    ev.preventDefault();
    msg.textContent = '';
    submit.disabled = true;
    submit.textContent = t('console.signin.busy');
    const body = { username: username.value.trim(), password: password.value };
    if (!totpField.hidden) body.totp = totp.value.replace(/\D/g, '');
    try {
      const res = await api.post('/api/v1/auth/login', body);
      setToken(res.token);
      const who = await api.get('/api/v1/me');
      if (who.kind !== 'officer') {
        setToken('');
        throw Object.assign(new Error(t('console.signin.notOfficer')), { code: 'not_officer' });
      }
      me = who;
      showShell();
    } catch (e) {
      if (e.code === 'totp_required' && totpField.hidden) {
        totpField.hidden = false;
        totp.focus();
      } else if (e.code === 'not_officer') {
        msg.textContent = e.message;
      } else {
        msg.textContent = errorText(e);
      }
      submit.disabled = false;
      submit.textContent = t('console.signin.submit');
    }
  }

  mount(root, h('div', { class: 'c-signin' },
    h('div', { class: 'c-signin-lang' }, langSwitch(lang, (l) => { setLang(l); })),
    h('form', { class: 'c-signin-card form', onsubmit: onSubmit, noValidate: true },
      h('div', { class: 'c-signin-brand' }, h('span', { class: 'c-mark' }, '110'), h('div', null, h('h1', null, t('console.signin.title')), h('p', { class: 'muted' }, t('console.product')))),
      field(t('console.signin.username'), username),
      field(t('console.signin.password'), password),
      totpField,
      msg,
      submit)));
  username.focus();
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
  stopFeatures();
  if (token()) {
    try {
      await api.post('/api/v1/auth/logout', null, { timeoutMs: 4000 });
    } catch { /* dropped locally either way */ }
  }
  setToken('');
  me = null;
  showSignIn();
}

onSignedOut(() => {
  stopFeatures();
  me = null;
  showSignIn(t('error.invalid_token'));
});

onLangChange(() => {
  if (me) {
    renderTop();
    renderBanner();
    router.render();
  } else {
    showSignIn();
  }
});

async function boot() {
  if (token()) {
    try {
      const who = await api.get('/api/v1/me');
      if (who.kind === 'officer') {
        me = who;
        showShell();
        return;
      }
      setToken('');
    } catch (e) {
      if (e.offline) {
        showSignIn(errorText(e));
        return;
      }
    }
  }
  showSignIn();
}

boot();

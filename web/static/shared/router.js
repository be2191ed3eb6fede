// router: hash-based screens ("#/alarm/video?x=1").
//
//   const r = createRouter({ outlet, guard, notFound, ctxExtra });
//   r.add('/alarm/:kind', (ctx) => node, { public: false });
//   r.start();
//   navigate('/alarm/42');
//
// A handler gets ctx = { path, params, query, signal, onLeave(fn), ...ctxExtra }
// and returns a Node (or a Promise of one). ctx.signal aborts and onLeave
// callbacks run when the user leaves the screen: stop cameras, close
// sockets and timers there. Adding a pattern that already exists replaces
// the earlier handler: that is how a feature takes over its placeholder.
// Patterns: literal segments, ":name" segments, and a final "*" for the rest.
// guard(route, ctx) may return a path to go to instead (e.g. sign-in).

let navCount = 0;
let active = null;

/** Whether the user navigated inside the app (so history.back() stays in it). */
export function canGoBack() {
  return navCount > 0;
}

/** Goes to path ("/alarm/video"). replace: no new history entry. */
export function navigate(path, { replace = false } = {}) {
  const hash = '#' + path;
  if (replace) {
    history.replaceState(history.state, '', hash);
    active?.render();
  } else if (location.hash === hash) {
    active?.render();
  } else {
    location.hash = hash;
  }
}

/** The current path and query from location.hash. */
export function currentPath() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p, q = ''] = raw.split('?');
  return { path: p.startsWith('/') ? p : '/' + p, query: Object.fromEntries(new URLSearchParams(q)) };
}

function compile(pattern) {
  const segs = pattern.split('/').filter(Boolean);
  return (path) => {
    const parts = path.split('/').filter(Boolean);
    const params = {};
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s === '*') {
        params.rest = parts.slice(i).map(decodeURIComponent).join('/');
        return params;
      }
      if (i >= parts.length) return null;
      if (s.startsWith(':')) params[s.slice(1)] = decodeURIComponent(parts[i]);
      else if (s !== parts[i]) return null;
    }
    return parts.length === segs.length ? params : null;
  };
}

export function createRouter({ outlet, guard, notFound, ctxExtra = {}, onRender }) {
  const routes = [];
  let leave = [];
  let ctl = null;
  let seq = 0;
  let first = true;

  function add(pattern, handler, meta = {}) {
    const i = routes.findIndex((r) => r.pattern === pattern);
    const r = { pattern, match: compile(pattern), handler, meta };
    if (i >= 0) routes[i] = r;
    else routes.push(r);
  }

  function find(path) {
    // Most specific first: more literal segments win, then more segments.
    let best = null;
    let bestScore = -1;
    for (const r of routes) {
      const params = r.match(path);
      if (!params) continue;
      const segs = r.pattern.split('/').filter(Boolean);
      const score = segs.filter((s) => !s.startsWith(':') && s !== '*').length * 100 + segs.length - (segs.includes('*') ? 50 : 0);
      if (score > bestScore) {
        best = { route: r, params };
        bestScore = score;
      }
    }
    return best;
  }

  async function render() {
    const my = ++seq;
    for (const fn of leave) {
      try {
        fn();
      } catch (e) {
        console.error('router: onLeave', e);
      }
    }
    leave = [];
    ctl?.abort();
    ctl = new AbortController();
    const { path, query } = currentPath();
    const found = find(path);
    const ctx = { ...ctxExtra, path, query, params: found?.params || {}, signal: ctl.signal, onLeave: (fn) => leave.push(fn) };
    if (guard && found) {
      const to = guard(found.route, ctx);
      if (to && to !== path) {
        navigate(to, { replace: true });
        return;
      }
    }
    let node;
    try {
      node = found ? await found.route.handler(ctx) : notFound ? notFound(ctx) : document.createTextNode('404');
    } catch (e) {
      console.error('router: screen failed', path, e);
      node = notFound ? notFound({ ...ctx, error: e }) : document.createTextNode(String(e));
    }
    if (my !== seq) return; // the user moved on while this screen loaded
    outlet.replaceChildren(node);
    if (!first) {
      window.scrollTo(0, 0);
      const focus = outlet.querySelector('h1, [autofocus]');
      if (focus && !focus.matches('input, textarea')) {
        focus.setAttribute('tabindex', '-1');
        focus.focus({ preventScroll: true });
      }
    }
    first = false;
    onRender?.(ctx, found?.route);
  }

  const router = {
    add,
    render,
    start() {
      active = router;
      window.addEventListener('hashchange', () => {
        navCount++;
        render();
      });
      return render();
    },
    /** The route that would render path, or null: { route: {pattern, meta}, params }. */
    match: (path) => find(path),
    routes: () => routes.map((r) => r.pattern),
  };
  return router;
}

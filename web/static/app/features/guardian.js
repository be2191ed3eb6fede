// 亲友互助 (guardians): my guardians and invitations, the duress PIN, a
// guarded trip (position sharing, capture, SOS, "I'm fine", "arrived
// safely"), the guardian's live view with "raise an alarm for them", and
// who read my trip data. The backend is guardian/ (see its OpenAPI).
// Screens: /guardian, /guardian/start, /guardian/trips/:id, /guardian/pin,
// /guardian/access; a home card for a running trip and a badge on the
// tile for invitations waiting.

import { h, icon, mount } from '../../shared/ui.js';
import { t } from '../../shared/i18n.js';
import strings from './guardian/strings.js';
import { loadCSS, prettyPhone } from './guardian/common.js';
import { renderHome } from './guardian/home.js';
import { renderStart } from './guardian/start.js';
import { renderTrip } from './guardian/trip.js';
import { renderPin } from './guardian/pin.js';
import { renderAccess } from './guardian/access.js';
import { summary, onSummary, refreshSummary, resetSummary } from './guardian/summary.js';
import { stopTracker } from './guardian/tracker.js';

const withCSS = (fn) => (ctx) => {
  loadCSS();
  return fn(ctx);
};

/** The home card(s): my running trip, trips I guard that are running. */
function homeCard(ctx) {
  loadCSS();
  const box = h('div', { class: 'gd-home-box', 'data-testid': 'gd-home' });
  const draw = (s) => {
    const cards = [];
    if (s.mine) {
      cards.push(h('a', { class: 'home-link gd-home-trip', href: '#/guardian/trips/' + s.mine.id, 'data-testid': 'gd-home-trip', 'data-trip': s.mine.id },
        h('span', { class: 'gd-dot' }), h('span', null, h('b', null, t('gd.homeTrip'))), icon('chevron', { size: 18 })));
    }
    for (const g of s.guarding) {
      const alert = g.overdue || g.silent || (g.alarms || []).length;
      cards.push(h('a', { class: ['home-link', 'gd-home-guard', alert && 'alert'], href: '#/guardian/trips/' + g.id, 'data-testid': 'gd-home-guard', 'data-trip': g.id },
        icon('guardian', { size: 22 }), h('span', null, h('b', null, t('gd.homeGuard', { phone: prettyPhone(g.traveller_phone) }))), icon('chevron', { size: 18 })));
    }
    mount(box, cards);
    box.hidden = !cards.length;
  };
  draw(summary());
  const off = onSummary(draw);
  ctx.onLeave(off);
  refreshSummary(ctx.shell, { maxAge: 5000 });
  return box;
}

export default {
  id: 'guardian',
  strings,
  routes: {
    '/guardian': withCSS(renderHome),
    '/guardian/start': withCSS(renderStart),
    '/guardian/trips/:id': withCSS(renderTrip),
    '/guardian/pin': withCSS(renderPin),
    '/guardian/access': withCSS(renderAccess),
  },
  home: (ctx) => (ctx.shell.signedIn() ? homeCard(ctx) : null),
  init(shell) {
    refreshSummary(shell);
    // Invitations and guarded trips change on the other person's phone:
    // look again now and then, and when the app comes back to the front.
    const poll = setInterval(() => refreshSummary(shell), 30000);
    const onVisible = () => { if (!document.hidden) refreshSummary(shell); };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(poll);
      document.removeEventListener('visibilitychange', onVisible);
      stopTracker({ clear: true }); // sign-out: stop sharing; leave no positions on a shared phone
      resetSummary();
    };
  },
};

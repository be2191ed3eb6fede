// Alarm view extension points: other console features add panels to the
// alarm view (#/alarms/<id>) without touching the alarm module — media a
// live video panel, guardian a "linked trip" panel, admin a caller profile.
//
//   // web/static/console/features/media.js
//   import { registerAlarmPanel } from './alarm/panels.js';
//   registerAlarmPanel({
//     id: 'media-video',          // unique; registering the same id again replaces it
//     order: 10,                  // lower first within its column (default 100)
//     column: 'chat',             // 'map' (left, under the map), 'chat' (middle, above the chat),
//                                 // 'side' (right, with the incident record; the default)
//     kinds: ['video', 'silent', 'voice'],   // optional: only for these alarm kinds
//     roles: ['dispatcher'],      // optional: only for these officer roles
//     render(ctx, alarm) {        // Node | {el, update(alarm), destroy()} | null, or a Promise of one
//       const el = h('div', null, '...');
//       const off = ctx.onEvent((e) => { if (e.type === 'answered') ... });
//       return { el, update: (a) => {...}, destroy: () => off() };
//     },
//   });
//
// ctx: { alarmId, shell, me, signal (aborts when the view closes),
// onEvent(fn) → unsubscribe (every event of this alarm's live feed, as
// {seq, type, at, actor, reason, alarm, data}), isAnswerer() (the viewer
// holds the alarm now), refresh() (re-read the alarm and call update) }.
// update(alarm) runs on every change of the alarm (state, position,
// transfer...); destroy() when the view closes. Returning null shows
// nothing (e.g. "no linked trip"). A panel that throws is logged and
// skipped: it never breaks the alarm view.

const panels = new Map();

export const COLUMNS = ['map', 'chat', 'side'];

/** Adds (or replaces, by id) a panel of the alarm view. */
export function registerAlarmPanel(p) {
  if (!p || typeof p.id !== 'string' || typeof p.render !== 'function') {
    throw new Error('registerAlarmPanel: {id, render} required');
  }
  panels.set(p.id, { order: 100, column: 'side', ...p, column: COLUMNS.includes(p.column) ? p.column : 'side' });
}

/** Removes a panel (tests, feature switched off). */
export function unregisterAlarmPanel(id) {
  panels.delete(id);
}

/** The registered panels in display order. */
export function alarmPanels() {
  return [...panels.values()].sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/**
 * mountPanels(columns, ctx, alarm) renders every applicable panel into its
 * column element (columns: {map, chat, side}) and returns
 * { update(alarm), destroy() } for the alarm view.
 */
export function mountPanels(columns, ctx, alarm) {
  const live = [];
  const role = ctx.me?.role;
  for (const p of alarmPanels()) {
    if (p.kinds && !p.kinds.includes(alarm.kind)) continue;
    if (p.roles && !p.roles.includes(role)) continue;
    const slot = document.createElement('section');
    slot.className = 'al-ext';
    slot.dataset.panel = p.id;
    slot.hidden = true;
    columns[p.column]?.appendChild(slot);
    const entry = { p, slot, inst: null };
    live.push(entry);
    Promise.resolve()
      .then(() => p.render(ctx, alarm))
      .then((out) => {
        if (ctx.signal?.aborted) {
          out?.destroy?.();
          return;
        }
        const el = out instanceof Node ? out : out?.el;
        entry.inst = out instanceof Node ? null : out;
        if (el) {
          slot.replaceChildren(el);
          slot.hidden = false;
        }
      })
      .catch((e) => console.error('alarm panel', p.id, e));
  }
  return {
    update(a) {
      for (const e of live) {
        try {
          e.inst?.update?.(a);
        } catch (err) {
          console.error('alarm panel update', e.p.id, err);
        }
      }
    },
    destroy() {
      for (const e of live) {
        try {
          e.inst?.destroy?.();
        } catch (err) {
          console.error('alarm panel destroy', e.p.id, err);
        }
      }
      live.length = 0;
    },
  };
}

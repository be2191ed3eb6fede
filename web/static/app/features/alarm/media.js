// The citizen alarm screen's media slot: the alarm module raises the alarm,
// shows state, centre, position and chat; a media provider (the media
// feature: camera and microphone over WebRTC) fills the slot for the kinds
// it handles. Text alarms have no provider and the slot stays empty.
//
//   // web/static/app/features/media.js
//   import { registerAlarmMedia } from './alarm/media.js';
//   registerAlarmMedia({
//     id: 'webrtc',
//     kinds: ['video', 'silent', 'voice'],
//     mount(slot, ctx) {            // slot: an empty <div data-slot="media"> on the alarm screen
//       // ctx: { alarm, kind, silent, shell, signal, onAlarm(fn) → off, onEvent(fn) → off, setNote(text) }
//       ...start camera, join /api/v1/alarms/{id}/rtc...
//       return { update(alarm) {...}, destroy() {...} };   // or a cleanup function
//     },
//   });
//
// mount runs once the alarm exists (after the 201) and is not over; destroy
// when the caller leaves the screen or the alarm ends (closed, cancelled).
// onAlarm(fn) calls fn(alarm) on every change of state; onEvent(fn) gets
// every event of the caller's feed. setNote(text) shows a line under the
// slot (e.g. "摄像头未授权"). For silent alarms (ctx.silent) play no sound and
// keep the screen dim: nothing may draw attention to the caller.

const providers = new Map();

export function registerAlarmMedia(p) {
  if (!p || typeof p.id !== 'string' || typeof p.mount !== 'function') throw new Error('registerAlarmMedia: {id, mount} required');
  providers.set(p.id, { order: 100, kinds: [], ...p });
}

export function unregisterAlarmMedia(id) {
  providers.delete(id);
}

/** The providers for an alarm kind, in order. */
export function mediaFor(kind) {
  return [...providers.values()].filter((p) => p.kinds.includes(kind)).sort((a, b) => a.order - b.order);
}

/** Mounts the providers for ctx.kind into slot; returns { update(alarm), destroy() }. */
export function mountMedia(slot, ctx) {
  const live = [];
  for (const p of mediaFor(ctx.kind)) {
    const box = document.createElement('div');
    box.className = 'alc-media-item';
    box.dataset.media = p.id;
    slot.appendChild(box);
    try {
      const out = p.mount(box, ctx);
      live.push(typeof out === 'function' ? { destroy: out } : out || {});
    } catch (e) {
      console.error('alarm media', p.id, e);
      box.remove();
    }
  }
  slot.hidden = !slot.childElementCount;
  return {
    count: live.length,
    update(a) {
      for (const m of live) {
        try {
          m.update?.(a);
        } catch (e) {
          console.error('alarm media update', e);
        }
      }
    },
    destroy() {
      for (const m of live.splice(0)) {
        try {
          m.destroy?.();
        } catch (e) {
          console.error('alarm media destroy', e);
        }
      }
    },
  };
}

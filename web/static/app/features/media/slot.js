// Plugs the call media (./call.js) into the citizen alarm screen's media
// slot (../alarm/media.js, the alarm module's extension point).

import { registerAlarmMedia as register } from '../alarm/media.js';
import { mountCallMedia, MEDIA_KINDS } from './call.js';

const OVER = new Set(['closed', 'cancelled']);

export function registerAlarmMedia() {
  register({
    id: 'webrtc',
    order: 10,
    kinds: [...MEDIA_KINDS],
    mount(slot, ctx) {
      let alarm = ctx.alarm;
      const m = mountCallMedia({
        alarmId: alarm.id,
        kind: ctx.kind || alarm.kind,
        shell: ctx.shell,
        // Our own status line and fallback box say it all: the slot's note stays free.
      });
      slot.appendChild(m.el);
      return {
        update(a) {
          alarm = a || alarm;
          if (OVER.has(alarm.state)) m.end();
        },
        destroy() {
          if (OVER.has(alarm.state)) m.end();
          m.destroy();
          m.el.remove();
        },
      };
    },
  });
}

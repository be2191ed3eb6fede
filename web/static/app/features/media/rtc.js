// rtc: the browser side of an alarm's live media (media/signal.go).
//
//   import { MediaSession } from './media/rtc.js';
//   const s = new MediaSession({
//     alarmId,                           // the alarm
//     mediaSession,                      // optional: a claimed video link's session (no sign-in)
//     silent: false,                     // true: remote audio is never attached, whatever arrives
//     facing: 'user',                    // the camera to start with ('user' | 'environment')
//     onChange: (s) => render(s),        // state, hello, local/remote streams changed
//     onFallback: (why) => offer110(),   // media could not connect in time (media_timeout, ICE failure)
//     onClosed: (reason) => ...,         // the server ended media for good (alarm_closed, replaced, ...)
//   });
//   s.start();  s.switchCamera();  s.setMuted('audio', true);  s.restartIce();  s.close();
//
// One signalling WebSocket (GET /api/v1/alarms/{id}/rtc) carries JSON
// messages. The server speaks first with "hello": our role, what we may
// send and, in order, what we receive. We then offer one m-line per kind,
// audio before video: sendrecv where we both send and receive that kind
// from the first receive entry, sendonly where we only send, recvonly where
// we only receive; further receive entries (an observer's second side) add
// recvonly m-lines. The server answers, both sides trickle candidates.
//
// ICE restarts keep the same alarm, peer connection and server-side
// recording: on a network change (navigator.connection "change", the
// browser's "online"), when ICE stays "disconnected" for 2 s, and when it
// fails. If media has not connected 8 s after the hello, or the server says
// media_timeout, onFallback runs: the alarm goes on as text and the page
// offers 110 / 12110; the session keeps trying in the background.
//
// A dropped socket reconnects (shared/ws.js) and the server starts a new
// peer connection, so we build a fresh one on every hello; the camera and
// microphone stay open across that.

import { connect } from '../../../shared/ws.js';

const CONNECT_TIMEOUT_MS = 8000;
const DISCONNECTED_GRACE_MS = 2000;

/** Every live session, for diagnostics (and the browser tests): open110Media.sessions. */
const registry = new Set();
window.open110Media = {
  get sessions() {
    return [...registry];
  },
  /** The newest session with this role ('caller' | 'dispatcher' | 'observer'), or any. */
  current(role) {
    const all = [...registry].filter((s) => !role || s.hello?.role === role);
    return all[all.length - 1] || null;
  },
};

export class MediaSession {
  constructor(opts) {
    this.opts = opts;
    this.alarmId = opts.alarmId;
    this.silent = !!opts.silent;
    this.facing = opts.facing || 'user';
    this.state = 'idle'; // idle | signalling | connecting | connected | reconnecting | failed | closed
    this.hello = null;
    this.pc = null;
    this.local = null; // MediaStream of our camera/microphone
    this.remote = {}; // from ('caller' | 'dispatcher') → MediaStream
    this.muted = { audio: false, video: false };
    this.peers = {}; // peer role → 'joined' | 'left'
    this.answered = false;
    this.fallback = false;
    this.closedReason = '';
    this.mediaError = ''; // getUserMedia failed: 'denied' | 'unavailable'
    this.log = []; // {at, ev, ...} for diagnostics: offers, answers, restarts, tracks
    this.restarts = 0;
    this._pending = []; // remote candidates before the answer
    this._haveAnswer = false;
    this._negotiating = false;
    this._again = false;
    this._timers = new Set();
    this._sock = null;
    this._gen = 0; // bumps with every new peer connection
    this._listeners = new Set();
    this.listen(opts);
  }

  /**
   * listen({onChange, onFallback, onClosed}) adds callbacks and returns
   * their removal: a screen that re-renders (language switch) re-attaches
   * to the same live session instead of hanging up.
   */
  listen(l) {
    const x = { onChange: l.onChange, onFallback: l.onFallback, onClosed: l.onClosed };
    this._listeners.add(x);
    return () => this._listeners.delete(x);
  }

  _emit(name, arg) {
    for (const l of [...this._listeners]) {
      try {
        l[name]?.(arg);
      } catch (e) {
        console.error('media', name, e);
      }
    }
  }

  _note(ev, extra) {
    this.log.push({ at: Date.now(), ev, ...extra });
    if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
  }

  _changed() {
    this._emit('onChange', this);
  }

  _setState(s) {
    if (this.state === s || this.state === 'closed') return;
    this.state = s;
    this._note('state', { state: s });
    this._changed();
  }

  _later(ms, fn) {
    const id = setTimeout(() => {
      this._timers.delete(id);
      fn();
    }, ms);
    this._timers.add(id);
    return id;
  }

  /** Opens the signalling socket; everything else follows the server's hello. */
  start() {
    if (this._sock || this.state === 'closed') return this;
    registry.add(this);
    this._setState('signalling');
    const query = this.opts.mediaSession ? { media_session: this.opts.mediaSession } : {};
    this._sock = connect(`/api/v1/alarms/${encodeURIComponent(this.alarmId)}/rtc`, {
      query: () => query,
      onMessage: (m) => this._onSignal(m),
      onStatus: (st) => {
        if (st === 'connecting' && this.hello && this.state !== 'closed') this._setState('reconnecting');
      },
    });
    this._onNetChange = () => {
      this._note('network-change');
      if (this.pc && this._haveAnswer) this.restartIce();
    };
    navigator.connection?.addEventListener?.('change', this._onNetChange);
    window.addEventListener('online', this._onNetChange);
    this._later(CONNECT_TIMEOUT_MS + 2000, () => {
      // The socket itself never got a hello (server unreachable, refused).
      if (!this.hello && this.state !== 'closed') this._fallback('no_signalling');
    });
    return this;
  }

  _send(m) {
    return this._sock?.send(m) || false;
  }

  async _onSignal(m) {
    if (!m || typeof m !== 'object' || this.state === 'closed') return;
    switch (m.type) {
      case 'hello':
        this.hello = m;
        this._note('hello', { role: m.role, kind: m.kind, send: m.send, receive: m.receive });
        await this._setup();
        break;
      case 'answer':
        await this._onAnswer(m.sdp);
        break;
      case 'candidate':
        if (!m.candidate) break;
        if (!this._haveAnswer) this._pending.push(m.candidate);
        else this.pc?.addIceCandidate(m.candidate).catch((e) => this._note('candidate-error', { e: String(e) }));
        break;
      case 'state':
        this._note('server-state', { state: m.state });
        if (m.state === 'answered') {
          this.answered = true;
          this._changed();
        } else if (m.state === 'media_timeout') this._fallback('media_timeout');
        else if (m.state === 'failed') this.restartIce();
        break;
      case 'peer':
        this.peers[m.peer] = m.state;
        if (m.peer === 'dispatcher' && m.state === 'joined') this.answered = true;
        this._note('peer', { peer: m.peer, state: m.state });
        this._changed();
        break;
      case 'error':
        this._note('error', { code: m.code, message: m.message });
        console.warn('media:', m.code, m.message);
        if (m.code === 'bad_sdp') this._negotiating = false;
        if (m.code === 'alarm_closed' || m.code === 'not_in_alarm' || m.code === 'no_media') this._end(m.code);
        break;
      case 'closed':
        // 'moved' / 'server_shutdown': the room goes on on another node of
        // the cluster; the socket reconnects and the next hello sets us up
        // again. Anything else ends media for good.
        if (m.reason === 'moved' || m.reason === 'server_shutdown') {
          this._note('moved', { reason: m.reason });
          // The old peer connection belongs to the old room: drop it now so
          // nothing it does (an ICE restart) reaches the new socket before
          // the next hello sets up a new one.
          this._gen++;
          this._teardownPC();
          this._setState('reconnecting');
          break;
        }
        this._end(m.reason || 'closed');
        break;
    }
  }

  /** What we send, and the kinds we receive from each side, per the hello. */
  _plan() {
    const h = this.hello || {};
    const send = new Set(h.send || []);
    const recv = (h.receive || []).map((r) => ({ from: r.from, kinds: new Set(r.kinds || []) }));
    return { send, recv };
  }

  async _ensureLocal(send) {
    const wantA = send.has('audio');
    const wantV = send.has('video');
    const have = (k) => this.local?.getTracks().some((t) => t.kind === k && t.readyState === 'live');
    if ((!wantA || have('audio')) && (!wantV || have('video'))) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.mediaError = 'unavailable';
      return;
    }
    try {
      const s = await navigator.mediaDevices.getUserMedia({
        audio: wantA && !have('audio') ? { echoCancellation: true, noiseSuppression: true } : false,
        video: wantV && !have('video') ? { facingMode: this.facing, width: { ideal: 640 }, height: { ideal: 480 } } : false,
      });
      if (!this.local) this.local = new MediaStream();
      for (const t of s.getTracks()) this.local.addTrack(t);
      this.mediaError = '';
    } catch (e) {
      this.mediaError = e && e.name === 'NotAllowedError' ? 'denied' : 'unavailable';
      console.warn('media: getUserMedia', e);
    }
    for (const t of this.local?.getTracks() || []) t.enabled = !this.muted[t.kind];
  }

  async _setup() {
    const gen = ++this._gen;
    this._teardownPC();
    const { send, recv } = this._plan();
    await this._ensureLocal(send);
    if (gen !== this._gen || this.state === 'closed') return;
    const pc = new RTCPeerConnection({ iceServers: this.hello.ice_servers || [] });
    this.pc = pc;
    this._haveAnswer = false;
    this._pending = [];
    this.remote = {};
    this._mids = []; // transceiver → side it receives from
    const first = recv[0] || { from: '', kinds: new Set() };
    for (const kind of ['audio', 'video']) {
      const track = send.has(kind) ? this.local?.getTracks().find((t) => t.kind === kind) : null;
      const wants = first.kinds.has(kind);
      let tr = null;
      if (track) tr = pc.addTransceiver(track, { direction: wants ? 'sendrecv' : 'sendonly', streams: [this.local] });
      else if (wants) tr = pc.addTransceiver(kind, { direction: 'recvonly' });
      else if (send.has(kind)) tr = pc.addTransceiver(kind, { direction: 'inactive' }); // no device: keep the order
      if (tr && wants) this._mids.push({ tr, from: first.from });
    }
    for (const r of recv.slice(1)) {
      for (const kind of ['audio', 'video']) {
        if (r.kinds.has(kind)) this._mids.push({ tr: pc.addTransceiver(kind, { direction: 'recvonly' }), from: r.from });
      }
    }
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) this._send({ type: 'candidate', candidate: e.candidate.toJSON() });
    };
    pc.ontrack = (e) => this._onTrack(e);
    pc.onconnectionstatechange = () => this._onPCState(pc);
    pc.oniceconnectionstatechange = () => this._onICEState(pc);
    pc.onnegotiationneeded = () => {
      // pc.restartIce() (ours or anyone's) ends up here once the first
      // exchange is done; the initial offer is made below.
      if (this._haveAnswer) this._negotiate();
    };
    this._setState('connecting');
    this._armConnectTimer();
    this._changed();
    await this._negotiate();
  }

  _armConnectTimer() {
    clearTimeout(this._connectTimer);
    this._connectTimer = this._later(CONNECT_TIMEOUT_MS, () => {
      if (this.state !== 'connected' && this.state !== 'closed') this._fallback('timeout');
    });
  }

  async _negotiate(iceRestart = false) {
    const pc = this.pc;
    if (!pc) return;
    if (this._negotiating) {
      this._again = true;
      this._againRestart ||= iceRestart;
      return;
    }
    this._negotiating = true;
    try {
      const offer = await pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      if (pc !== this.pc) return;
      await pc.setLocalDescription(offer);
      this._haveAnswer = false;
      this._note('offer', { iceRestart });
      if (!this._send({ type: 'offer', sdp: pc.localDescription.sdp })) {
        // The socket is down: its reconnect brings a new hello and a new peer connection.
        this._negotiating = false;
      }
    } catch (e) {
      this._negotiating = false;
      this._note('offer-error', { e: String(e) });
      console.warn('media: offer', e);
    }
  }

  async _onAnswer(sdp) {
    const pc = this.pc;
    if (!pc || pc.signalingState !== 'have-local-offer') return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (e) {
      this._note('answer-error', { e: String(e) });
      console.warn('media: answer', e);
    }
    this._haveAnswer = true;
    this._note('answer');
    const pend = this._pending;
    this._pending = [];
    for (const c of pend) pc.addIceCandidate(c).catch(() => {});
    this._negotiating = false;
    if (this._again) {
      const r = this._againRestart;
      this._again = false;
      this._againRestart = false;
      this._negotiate(r);
    }
  }

  _onTrack(e) {
    const tr = e.transceiver;
    const m = this._mids.find((x) => x.tr === tr);
    const from = m ? m.from : 'remote';
    this._note('track', { kind: e.track.kind, from, mid: tr?.mid });
    if (this.silent && e.track.kind === 'audio') {
      // A silent alarm's phone plays nothing. The server never sends one;
      // should one arrive anyway, it is stopped and never attached.
      e.track.stop();
      return;
    }
    let s = this.remote[from];
    if (!s) s = this.remote[from] = new MediaStream();
    s.addTrack(e.track);
    e.track.onunmute = () => this._changed();
    this._changed();
  }

  _onPCState(pc) {
    if (pc !== this.pc) return;
    const st = pc.connectionState;
    this._note('pc', { state: st });
    if (st === 'connected') {
      clearTimeout(this._connectTimer);
      if (this.fallback) this.fallback = false;
      this._setState('connected');
    } else if (st === 'failed') {
      this._setState('reconnecting');
      this.restartIce();
    }
  }

  _onICEState(pc) {
    if (pc !== this.pc) return;
    const st = pc.iceConnectionState;
    this._note('ice', { state: st });
    if (st === 'disconnected') {
      this._setState('reconnecting');
      clearTimeout(this._discTimer);
      this._discTimer = this._later(DISCONNECTED_GRACE_MS, () => {
        if (this.pc === pc && pc.iceConnectionState === 'disconnected') this.restartIce();
      });
    } else if (st === 'failed') {
      this.restartIce();
    } else if ((st === 'connected' || st === 'completed') && pc.connectionState === 'connected') {
      this._setState('connected');
    }
  }

  /** Renegotiates with fresh ICE credentials: same alarm, same tracks, same recording. */
  restartIce() {
    if (!this.pc || this.state === 'closed') return;
    this.restarts++;
    this._note('restart');
    this._armConnectTimer();
    this._negotiate(true);
  }

  _fallback(why) {
    if (this.state === 'closed') return;
    this._note('fallback', { why });
    if (!this.fallback) {
      this.fallback = true;
      this._emit('onFallback', why);
    }
    if (this.state !== 'connected') this._setState('failed');
    this._changed();
  }

  /** Uses the other camera (front ↔ back) without renegotiating. */
  async switchCamera() {
    const old = this.local?.getVideoTracks()[0];
    if (!old) return false;
    const next = this.facing === 'user' ? 'environment' : 'user';
    let s;
    try {
      s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: next, width: { ideal: 640 }, height: { ideal: 480 } } });
    } catch (e) {
      console.warn('media: switch camera', e);
      return false;
    }
    const track = s.getVideoTracks()[0];
    track.enabled = !this.muted.video;
    const sender = this.pc?.getSenders().find((x) => x.track === old || x.track?.kind === 'video');
    if (sender) await sender.replaceTrack(track);
    this.local.removeTrack(old);
    old.stop();
    this.local.addTrack(track);
    this.facing = next;
    this._note('camera', { facing: next });
    this._changed();
    return true;
  }

  /** Mutes (or unmutes) our microphone or camera: the track sends silence / black. */
  setMuted(kind, on) {
    this.muted[kind] = !!on;
    for (const t of this.local?.getTracks() || []) if (t.kind === kind) t.enabled = !on;
    this._changed();
  }

  /** Whether the server lets us send this kind. */
  sends(kind) {
    return !!this.hello?.send?.includes(kind);
  }

  /** Inbound RTP counters by kind: {audio:{bytes,packets}, video:{bytes,frames,width}}. */
  async inbound() {
    const out = {};
    if (!this.pc) return out;
    const st = await this.pc.getStats();
    st.forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const k = r.kind || r.mediaType;
      const o = (out[k] ||= { bytes: 0, packets: 0, frames: 0, width: 0 });
      o.bytes += r.bytesReceived || 0;
      o.packets += r.packetsReceived || 0;
      o.frames += r.framesDecoded || 0;
      o.width = Math.max(o.width, r.frameWidth || 0);
    });
    return out;
  }

  _teardownPC() {
    clearTimeout(this._connectTimer);
    clearTimeout(this._discTimer);
    this._negotiating = false;
    this._again = false;
    if (this.pc) {
      this.pc.onicecandidate = this.pc.ontrack = this.pc.onconnectionstatechange = null;
      this.pc.oniceconnectionstatechange = this.pc.onnegotiationneeded = null;
      try {
        this.pc.close();
      } catch { /* already closed */ }
    }
    this.pc = null;
  }

  _end(reason) {
    if (this.state === 'closed') return;
    this.closedReason = reason;
    this._stop();
    this.state = 'closed';
    this._note('closed', { reason });
    this._changed();
    this._emit('onClosed', reason);
  }

  _stop() {
    for (const id of this._timers) clearTimeout(id);
    this._timers.clear();
    navigator.connection?.removeEventListener?.('change', this._onNetChange);
    window.removeEventListener('online', this._onNetChange);
    this._sock?.close();
    this._sock = null;
    this._teardownPC();
    for (const t of this.local?.getTracks() || []) t.stop();
    registry.delete(this);
  }

  /** Hangs up: tells the server (bye), stops the camera and microphone. */
  close() {
    if (this.state === 'closed') return;
    this._send({ type: 'bye' });
    this._end('hangup');
  }
}

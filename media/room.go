package media

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"open110/platform/apperr"
)

// kinds indexes feeds: 0 audio, 1 video.
const (
	kAudio = 0
	kVideo = 1
)

func kindIdx(k webrtc.RTPCodecType) int {
	if k == webrtc.RTPCodecTypeVideo {
		return kVideo
	}
	return kAudio
}

// feed is one published track of a room (the caller's video, the
// dispatcher's audio, …) and the local tracks it is forwarded to. The
// publisher's read goroutine loads subs once per packet and writes to each
// subscriber directly: no channel, no goroutine hand-off between receiving
// a packet and sending it on.
type feed struct {
	subs    atomic.Pointer[[]*webrtc.TrackLocalStaticRTP]
	pub     atomic.Pointer[pubRef]
	lastPLI atomic.Int64 // unix nanos of the last PLI sent upstream
}

type pubRef struct {
	pc   *webrtc.PeerConnection
	ssrc uint32
}

// room is the media of one alarm.
type room struct {
	s       *Service
	alarm   Alarm
	created time.Time
	claim   atomic.Int64  // claimed_at of this node's latest claim on the room (release is fenced by it)
	done    chan struct{} // closed when close has finished (last segment stored)

	mu      sync.Mutex
	rules   rules
	viaLink bool
	parts   map[*participant]struct{}
	closed  bool
	feeds   [sides][2]*feed
	rec     *recorder
}

func newRoom(s *Service, a Alarm, viaLink bool, claim int64, startSeq int) *room {
	rl, _ := rulesFor(a.Kind, viaLink)
	r := &room{s: s, alarm: a, created: s.now(), done: make(chan struct{}), rules: rl, viaLink: viaLink, parts: map[*participant]struct{}{}}
	r.claim.Store(claim)
	for i := range r.feeds {
		for k := range r.feeds[i] {
			f := &feed{}
			f.subs.Store(&[]*webrtc.TrackLocalStaticRTP{})
			r.feeds[i][k] = f
		}
	}
	r.rec = newRecorder(recorderConfig{
		AlarmID: a.ID, Dir: s.recDir(), Segment: s.cfg.SegmentDuration, Video: rl.CallerSends&mVideo != 0,
		Now: s.now, StartSeq: startSeq, Log: s.log,
		Keyframe: func() { r.requestKeyframe(sideCaller, true) },
		Sink:     s.up.enqueue,
	})
	return r
}

func (r *room) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func (r *room) participantCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.parts)
}

// setLink switches a room to the video-link rules (a voice alarm upgraded
// by link): the caller side now streams video too, and the recorder starts
// a segment with a video track.
func (r *room) setLink() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.viaLink {
		return
	}
	r.viaLink = true
	r.rules, _ = rulesFor(r.alarm.Kind, true)
	r.rec.enableVideo()
}

func (r *room) currentRules() rules {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rules
}

// broadcast sends a signalling message to everyone in the room.
func (r *room) broadcast(m signal) {
	r.mu.Lock()
	ps := make([]*participant, 0, len(r.parts))
	for p := range r.parts {
		ps = append(ps, p)
	}
	r.mu.Unlock()
	for _, p := range ps {
		p.send(m)
	}
}

// close ends the room: every participant is told why and disconnected, and
// the recording's last segment is finished and queued for upload. It
// returns when the room's uploads have finished — for every caller, not
// only the first (the manifest written after it must list them all).
//
// When the room moves (this node shuts down, or another node took the
// room over) its claim is given up before the uploads are waited for, so
// the participants, reconnecting at once, meet on another node without
// waiting. When the alarm closed, the claim is kept until the last
// segment is stored: other nodes take a live claim to mean "the holder
// writes the manifest".
func (r *room) close(reason string) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return
	}
	r.closed = true
	ps := make([]*participant, 0, len(r.parts))
	for p := range r.parts {
		ps = append(ps, p)
	}
	r.mu.Unlock()
	defer close(r.done)
	for _, p := range ps {
		p.send(signal{Type: "closed", Reason: reason})
		p.close()
	}
	if reason != "alarm_closed" {
		r.s.releaseClaim(r)
	}
	r.rec.close()
	r.rec.wait()
	r.s.dropRoom(r)
}

// requestKeyframe asks the publisher of src's video for a keyframe (PLI),
// at most every 500 ms unless force (the recorder asks on a schedule of
// its own).
func (r *room) requestKeyframe(src side, force bool) {
	f := r.feeds[src][kVideo]
	pub := f.pub.Load()
	if pub == nil {
		return
	}
	now := time.Now().UnixNano()
	last := f.lastPLI.Load()
	if !force && now-last < int64(500*time.Millisecond) {
		return
	}
	if !f.lastPLI.CompareAndSwap(last, now) && !force {
		return
	}
	_ = pub.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: pub.ssrc}})
}

// participant is one peer connection in a room.
type participant struct {
	r     *room
	role  Role
	actor string
	pc    *webrtc.PeerConnection
	out   func(signal) // the signalling connection's queue (non-blocking)
	kick  func()       // closes the signalling connection

	mu         sync.Mutex
	negotiated bool
	answered   bool                      // the current answer was sent
	pending    []webrtc.ICECandidateInit // candidates gathered before it
	slots      []slot
	connected  atomic.Bool
	closed     atomic.Bool
	joined     time.Time
}

type slot struct {
	src   side
	kind  int
	track *webrtc.TrackLocalStaticRTP
}

// join adds a participant with role to the room. A caller or dispatcher
// replaces an earlier connection of the same role (a reconnect from the
// same or another device).
func (r *room) join(role Role, actor string, out func(signal), kick func()) (*participant, error) {
	pc, err := r.s.sfu.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("media: new peer connection: %w", err)
	}
	p := &participant{r: r, role: role, actor: actor, pc: pc, out: out, kick: kick, joined: r.s.now()}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = pc.Close()
		return nil, errRoomGone
	}
	var replaced []*participant
	if role != RoleObserver {
		for q := range r.parts {
			if q.role == role {
				replaced = append(replaced, q)
			}
		}
	}
	r.parts[p] = struct{}{}
	r.mu.Unlock()
	for _, q := range replaced {
		q.send(signal{Type: "closed", Reason: "replaced"})
		q.close()
	}

	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		ci := c.ToJSON()
		// Candidates gathered while the answer is being made wait for it:
		// a client cannot add candidates before it has the answer.
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.answered {
			p.pending = append(p.pending, ci)
			return
		}
		p.send(signal{Type: "candidate", Candidate: &ci})
	})
	pc.OnTrack(p.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			if p.connected.CompareAndSwap(false, true) {
				p.send(signal{Type: "state", State: "connected"})
				r.broadcastPeer(p, "joined")
				if pr, ok := r.s.d.Alarms.(Presence); ok && role == RoleCaller {
					go func() {
						if err := pr.CallerPresent(context.Background(), r.alarm.ID); err != nil {
							r.s.log.Warn("media: caller present", "alarm", r.alarm.ID, "err", err)
						}
					}()
				}
			}
			// A new subscriber (or one back after an ICE restart) needs a
			// keyframe before it can show anything. Ask now and once more
			// shortly after: pion binds the senders' SRTP streams just after
			// this callback, and a keyframe that arrives before that is lost
			// to this subscriber.
			for _, s := range p.slotsCopy() {
				if s.kind == kVideo {
					src := s.src
					r.requestKeyframe(src, true)
					time.AfterFunc(300*time.Millisecond, func() { r.requestKeyframe(src, true) })
				}
			}
		case webrtc.PeerConnectionStateFailed:
			p.send(signal{Type: "state", State: "failed"})
		case webrtc.PeerConnectionStateDisconnected:
			p.send(signal{Type: "state", State: "disconnected"})
		}
	})
	return p, nil
}

func (r *room) broadcastPeer(from *participant, state string) {
	r.mu.Lock()
	ps := make([]*participant, 0, len(r.parts))
	for q := range r.parts {
		if q != from {
			ps = append(ps, q)
		}
	}
	r.mu.Unlock()
	for _, q := range ps {
		q.send(signal{Type: "peer", Peer: string(from.role), State: state})
	}
}

func (p *participant) send(m signal) {
	if p.out != nil {
		p.out(m)
	}
}

func (p *participant) slotsCopy() []slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]slot(nil), p.slots...)
}

// offer applies a client's offer (the first, a renegotiation, or an ICE
// restart) and sends the answer, then the candidates gathered meanwhile. On the first offer the room attaches a
// local track to every m-line the client wants to receive on, as far as the
// kind's rules allow; m-lines beyond the rules are answered without a
// track, so the client never gets media it must not have (a silent caller
// never gets an audio track).
func (p *participant) offer(sdpText string) error {
	p.mu.Lock()
	p.answered = false
	p.mu.Unlock()
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdpText}); err != nil {
		return errBadSDP.Wrap(err)
	}
	p.mu.Lock()
	first := !p.negotiated
	p.negotiated = true
	p.mu.Unlock()
	if first {
		if err := p.attach(sdpText); err != nil {
			return err
		}
	}
	ans, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return errBadSDP.Wrap(err)
	}
	if err := p.pc.SetLocalDescription(ans); err != nil {
		return errBadSDP.Wrap(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.send(signal{Type: "answer", SDP: p.pc.LocalDescription().SDP})
	p.answered = true
	for i := range p.pending {
		p.send(signal{Type: "candidate", Candidate: &p.pending[i]})
	}
	p.pending = nil
	return nil
}

var errBadSDP = apperr.New(apperr.Invalid, "bad_sdp", "the session description could not be applied")

// attach creates the participant's downstream tracks from the offer's
// receiving m-lines, in order: for a caller or dispatcher every receiving
// m-line carries the other side; for an observer the first of each kind
// carries the caller, the second the dispatcher.
func (p *participant) attach(sdpText string) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(sdpText); err != nil {
		return errBadSDP
	}
	r := p.r
	rl := r.currentRules()
	seen := [2]int{}
	for _, m := range sd.MediaDescriptions {
		var kind webrtc.RTPCodecType
		switch m.MediaName.Media {
		case "audio":
			kind = webrtc.RTPCodecTypeAudio
		case "video":
			kind = webrtc.RTPCodecTypeVideo
		default:
			continue
		}
		if !wantsToReceive(m) {
			continue
		}
		k := kindIdx(kind)
		n := seen[k]
		seen[k]++
		var src side
		switch p.role {
		case RoleCaller:
			src = sideDispatcher
		case RoleDispatcher:
			src = sideCaller
		case RoleObserver:
			if n > 1 {
				continue
			}
			src = side(n)
		default:
			continue
		}
		if p.role != RoleObserver && n > 0 {
			continue
		}
		if !rl.receives(p.role, src).has(kind) {
			continue
		}
		codec := codecOpus.RTPCodecCapability
		if kind == webrtc.RTPCodecTypeVideo {
			codec = codecVP8.RTPCodecCapability
		}
		track, err := webrtc.NewTrackLocalStaticRTP(codec, kind.String(), src.String())
		if err != nil {
			return err
		}
		sender, err := p.pc.AddTrack(track)
		if err != nil {
			return fmt.Errorf("media: add track: %w", err)
		}
		p.mu.Lock()
		p.slots = append(p.slots, slot{src: src, kind: k, track: track})
		p.mu.Unlock()
		r.subscribe(src, k, track)
		go p.readRTCP(sender, src, k)
	}
	return nil
}

// wantsToReceive reports whether an offered m-line lets the offerer receive.
func wantsToReceive(m *sdp.MediaDescription) bool {
	if m.MediaName.Port.Value == 0 {
		return false
	}
	for _, a := range m.Attributes {
		switch a.Key {
		case "sendonly", "inactive":
			return false
		case "recvonly", "sendrecv":
			return true
		}
	}
	return true // sendrecv is the default
}

func (r *room) subscribe(src side, k int, t *webrtc.TrackLocalStaticRTP) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.feeds[src][k]
	old := *f.subs.Load()
	next := make([]*webrtc.TrackLocalStaticRTP, 0, len(old)+1)
	next = append(next, old...)
	next = append(next, t)
	f.subs.Store(&next)
}

func (r *room) unsubscribe(src side, k int, t *webrtc.TrackLocalStaticRTP) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.feeds[src][k]
	old := *f.subs.Load()
	next := make([]*webrtc.TrackLocalStaticRTP, 0, len(old))
	for _, x := range old {
		if x != t {
			next = append(next, x)
		}
	}
	f.subs.Store(&next)
}

// readRTCP drains a sender's RTCP (the NACK responder and reports need it
// read) and forwards keyframe requests to the publisher.
func (p *participant) readRTCP(sender *webrtc.RTPSender, src side, k int) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		if k != kVideo {
			continue
		}
		for _, pk := range pkts {
			switch pk.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				p.r.requestKeyframe(src, false)
			}
		}
	}
}

// onTrack runs for each track the participant publishes: it is the
// forwarding loop, reading packets and writing them to the recorder and to
// every subscriber from this one goroutine.
func (p *participant) onTrack(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	r := p.r
	// The publisher's RTCP (sender reports) must be read for the report
	// interceptor to see it and so that pion's per-stream RTCP buffer does
	// not fill up.
	go func() {
		for {
			if _, _, err := recv.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 1500)
	sd, ok := sideOf(p.role)
	if !ok || !r.currentRules().sends(p.role).has(tr.Kind()) {
		// Not allowed by the kind's rules (a voice caller's camera, an
		// observer's microphone): read and drop, so nothing is forwarded or
		// recorded and pion's buffers do not fill.
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	}
	k := kindIdx(tr.Kind())
	f := r.feeds[sd][k]
	ref := &pubRef{pc: p.pc, ssrc: uint32(tr.SSRC())}
	f.pub.Store(ref)
	defer f.pub.CompareAndSwap(ref, nil)
	var rec *recorder
	if sd == sideCaller {
		rec = r.rec
	}
	if k == kVideo {
		r.requestKeyframe(sd, true)
	}
	sfu := r.s.sfu
	var pkt rtp.Packet
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		sfu.packetsIn.Add(1)
		if rec != nil {
			if k == kVideo {
				rec.video(&pkt)
			} else {
				rec.audio(&pkt)
			}
		}
		// Header extensions were negotiated with the publisher; their IDs
		// mean nothing to subscribers, so they are not forwarded.
		pkt.Extension = false
		pkt.Extensions = nil
		subs := *f.subs.Load()
		for _, t := range subs {
			if t.WriteRTP(&pkt) == nil {
				sfu.packetsOut.Add(1)
				sfu.bytesOut.Add(uint64(n))
			}
		}
	}
}

// close leaves the room and closes the peer connection. Idempotent.
func (p *participant) close() {
	if !p.closed.CompareAndSwap(false, true) {
		return
	}
	r := p.r
	for _, s := range p.slotsCopy() {
		r.unsubscribe(s.src, s.kind, s.track)
	}
	r.mu.Lock()
	delete(r.parts, p)
	r.mu.Unlock()
	_ = p.pc.Close()
	if p.connected.Load() {
		r.broadcastPeer(p, "left")
	}
	if p.kick != nil {
		p.kick()
	}
}

// addCandidate adds a trickled remote ICE candidate.
func (p *participant) addCandidate(c webrtc.ICECandidateInit) error {
	if strings.TrimSpace(c.Candidate) == "" {
		return nil // end-of-candidates
	}
	return p.pc.AddICECandidate(c)
}

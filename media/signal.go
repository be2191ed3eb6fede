package media

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"open110/account"
	"open110/platform/api"
	"open110/platform/apperr"
)

// signal is one signalling message, both ways, as JSON text frames.
//
// Client → server: {"type":"offer","sdp"} (first offer, renegotiation or
// ICE restart), {"type":"candidate","candidate":{RTCIceCandidateInit}},
// {"type":"bye"}.
//
// Server → client: {"type":"hello","role","kind","send":[…],"receive":[…],
// "ice_servers":[…]} first; {"type":"answer","sdp"}; {"type":"candidate"};
// {"type":"state","state":"connected|disconnected|failed|media_timeout|answered"};
// {"type":"peer","peer":"dispatcher","state":"joined|left"};
// {"type":"error","code","message"}; {"type":"closed","reason"} last.
type signal struct {
	Type       string                   `json:"type"`
	SDP        string                   `json:"sdp,omitempty"`
	Candidate  *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Role       Role                     `json:"role,omitempty"`
	Kind       string                   `json:"kind,omitempty"`
	Send       []string                 `json:"send,omitempty"`
	Receive    []receiveSpec            `json:"receive,omitempty"`
	ICEServers []ICEServer              `json:"ice_servers,omitempty"`
	State      string                   `json:"state,omitempty"`
	Peer       string                   `json:"peer,omitempty"`
	Reason     string                   `json:"reason,omitempty"`
	Code       string                   `json:"code,omitempty"`
	Message    string                   `json:"message,omitempty"`
}

// maxSDP bounds an offer: a real one is a few kilobytes.
const maxSDP = 32 << 10

// decodeSignal parses one client message. A message that is not valid
// JSON, has an unknown type, or lacks what its type needs is answered with
// the error message returned (stable codes: invalid_json, unknown_type,
// bad_sdp, bad_candidate) and changes nothing.
func decodeSignal(data []byte) (signal, *signal) {
	var m signal
	if err := json.Unmarshal(data, &m); err != nil {
		return m, &signal{Type: "error", Code: "invalid_json", Message: "message is not valid JSON"}
	}
	switch m.Type {
	case "offer":
		if m.SDP == "" || len(m.SDP) > maxSDP {
			return m, &signal{Type: "error", Code: "bad_sdp", Message: "an offer needs an SDP of at most 32 KiB"}
		}
	case "candidate":
		if m.Candidate == nil || len(m.Candidate.Candidate) > 1024 {
			return m, &signal{Type: "error", Code: "bad_candidate", Message: "a candidate message needs a candidate"}
		}
	case "bye":
	default:
		return m, &signal{Type: "error", Code: "unknown_type", Message: "unknown message type"}
	}
	return m, nil
}

// receiveSpec tells a client which m-lines to offer for receiving, in
// order: media from side From of kinds Kinds.
type receiveSpec struct {
	From  string   `json:"from"`
	Kinds []string `json:"kinds"`
}

func kindNames(s mediaSet) []string {
	out := []string{}
	if s&mAudio != 0 {
		out = append(out, "audio")
	}
	if s&mVideo != 0 {
		out = append(out, "video")
	}
	return out
}

const (
	signalReadLimit  = 64 << 10 // an SDP with many candidates stays far below
	signalPing       = 20 * time.Second
	signalWriteLimit = 10 * time.Second
	signalQueue      = 128
	// A negotiation is an offer and a few dozen trickled candidates; an
	// ICE restart repeats it. 20/s sustained with a burst of 100 is far
	// above any real client.
	signalRate  = 20
	signalBurst = 100
)

// handleRTC upgrades to the alarm's signalling WebSocket.
//
// Auth: the request's principal (a bearer token; browsers pass it as
// ?access_token= and the account middleware resolves it), or a video-link
// session as ?media_session=.
func (s *Service) handleRTC(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	g, actor, viaLink, err := s.authorizeRTC(ctx, r, id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	// Place the connection; a room found closing (it moves, or its claim
	// was taken) sends us round again.
	var rm *room
	for attempt := 0; rm == nil; attempt++ {
		h, claim, err := s.place(ctx, r, g.Alarm, viaLink)
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		if h != nil {
			s.forward(w, r, h)
			return
		}
		rm, err = s.roomFor(ctx, g.Alarm, viaLink, claim)
		if errors.Is(err, errRoomGone) && attempt < 3 {
			continue
		}
		if err != nil {
			api.Fail(w, r, err)
			return
		}
	}
	c, err := websocket.Accept(w, r, nil) // same-origin only (the library's default)
	if err != nil {
		return // Accept has written the HTTP error
	}
	c.SetReadLimit(signalReadLimit)
	s.serveSignal(context.WithoutCancel(ctx), c, rm, g.Role, actor, api.ClientIP(r))
}

func (s *Service) authorizeRTC(ctx context.Context, r *http.Request, alarmID string) (Grant, string, bool, error) {
	if tok := r.URL.Query().Get("media_session"); tok != "" {
		a, err := s.linkSession(ctx, tok, alarmID)
		if err != nil {
			return Grant{}, "", false, err
		}
		return Grant{Role: RoleCaller, Alarm: a}, "link:" + hashToken(tok)[:12], true, nil
	}
	p, err := account.Require(r)
	if err != nil {
		return Grant{}, "", false, err
	}
	g, err := s.d.Alarms.Access(ctx, p, alarmID)
	if err != nil {
		return Grant{}, "", false, err
	}
	if g.Role == RoleNone {
		return Grant{}, "", false, ErrNotInAlarm
	}
	if g.Alarm.Closed() {
		return Grant{}, "", false, ErrAlarmClosed
	}
	return g, p.Actor(), false, nil
}

// serveSignal runs one signalling connection: a writer goroutine owns all
// writes and pings; this goroutine reads. It returns when either side ends.
func (s *Service) serveSignal(ctx context.Context, c *websocket.Conn, rm *room, role Role, actor, ip string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan signal, signalQueue)
	var once sync.Once
	kick := func() { once.Do(cancel) }
	enqueue := func(m signal) {
		select {
		case out <- m:
		default:
			// The client does not read: signalling would be lost, so end
			// the connection; the client reconnects and renegotiates.
			kick()
		}
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop(ctx, c, out)
	}()

	p, err := rm.join(role, actor, enqueue, kick)
	if errors.Is(err, errRoomGone) {
		// The room closed between placing and joining (it moves, or the
		// alarm ended — then the client's next try is told so): reconnect.
		enqueue(signal{Type: "closed", Reason: closeMoved})
		cancel()
		<-writerDone
		return
	}
	if err != nil {
		e := apperr.From(err)
		enqueue(signal{Type: "error", Code: e.Code, Message: e.Message})
		cancel()
		<-writerDone
		return
	}
	defer p.close()
	rl := rm.currentRules()
	hello := signal{Type: "hello", Role: role, Kind: rm.alarm.Kind, Send: kindNames(rl.sends(role)), ICEServers: s.iceServersFor(actor)}
	switch role {
	case RoleCaller:
		hello.Receive = []receiveSpec{{From: "dispatcher", Kinds: kindNames(rl.CallerReceives)}}
	case RoleDispatcher:
		hello.Receive = []receiveSpec{{From: "caller", Kinds: kindNames(rl.CallerSends)}}
	case RoleObserver:
		hello.Receive = []receiveSpec{{From: "caller", Kinds: kindNames(rl.CallerSends)}, {From: "dispatcher", Kinds: kindNames(rl.DispatcherSends)}}
	}
	if rm.viaLink && role == RoleCaller {
		hello.Kind = KindVideo
	}
	enqueue(hello)
	s.log.Info("media: joined", "alarm", rm.alarm.ID, "role", role, "actor", actor, "ip", ip)

	if role == RoleCaller {
		// If media has not connected in a few seconds the alarm goes on as
		// text; the app then offers to call 110 or text 12110.
		t := time.AfterFunc(s.cfg.ConnectTimeout, func() {
			if !p.connected.Load() && !p.closed.Load() {
				enqueue(signal{Type: "state", State: "media_timeout"})
			}
		})
		defer t.Stop()
	}

	// Reads use a context that kick does not cancel: cancelling a read
	// closes the connection at once, and the writer must first flush the
	// last messages ("closed"). The writer's Close ends the read instead.
	rctx := context.WithoutCancel(ctx)
	bye := false
	rate := api.NewMessageRate(signalRate, signalBurst)
	for {
		typ, data, err := c.Read(rctx)
		if err != nil {
			break
		}
		if !rate.Allow() {
			// Each offer is SDP parsing and ICE work: a client past the
			// rate is cut off; it reconnects and renegotiates.
			enqueue(signal{Type: "error", Code: "rate_limited", Message: "too many signalling messages"})
			kick()
			break
		}
		if typ != websocket.MessageText {
			continue
		}
		m, bad := decodeSignal(data)
		if bad != nil {
			enqueue(*bad)
			continue
		}
		switch m.Type {
		case "offer":
			if err := p.offer(m.SDP); err != nil {
				enqueue(signal{Type: "error", Code: "bad_sdp", Message: "the offer could not be applied"})
				s.log.Warn("media: offer", "alarm", rm.alarm.ID, "role", role, "err", err)
			}
		case "candidate":
			if m.Candidate != nil {
				if err := p.addCandidate(*m.Candidate); err != nil {
					s.log.Debug("media: candidate", "err", err)
				}
			}
		case "bye":
			bye = true
			cancel()
		}
	}
	cancel()
	<-writerDone
	if role == RoleCaller && !bye && !rm.isClosed() {
		// The caller's app vanished without hanging up (crash, no network):
		// tell the alarm feature, which keeps an unanswered alarm for
		// call-back and requeues it when the caller is back.
		if pr, ok := s.d.Alarms.(Presence); ok {
			if err := pr.CallerGone(context.WithoutCancel(ctx), rm.alarm.ID, "media_lost"); err != nil {
				s.log.Warn("media: caller gone", "alarm", rm.alarm.ID, "err", err)
			}
		}
	}
}

func (s *Service) writeLoop(ctx context.Context, c *websocket.Conn, out <-chan signal) {
	ping := time.NewTicker(signalPing)
	defer ping.Stop()
	write := func(m signal) error {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), signalWriteLimit)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	for {
		select {
		case m := <-out:
			if err := write(m); err != nil {
				_ = c.CloseNow()
				return
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, signalWriteLimit)
			err := c.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				_ = c.CloseNow()
				return
			}
		case <-ctx.Done():
			// Flush what is queued (an error, "closed"), then close cleanly.
			for {
				select {
				case m := <-out:
					if write(m) != nil {
						_ = c.CloseNow()
						return
					}
					continue
				default:
				}
				break
			}
			_ = c.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
}

// Package rtcclient is a pion WebRTC client for open110's media signalling:
// it dials an alarm's signalling WebSocket, builds the peer connection the
// server's hello asks for, and can send synthetic paced VP8 and Opus. The
// media tests and the load generator use it; browsers use web/ instead.
package rtcclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// Signal mirrors the server's signalling message.
type Signal struct {
	Type       string                   `json:"type"`
	SDP        string                   `json:"sdp,omitempty"`
	Candidate  *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Role       string                   `json:"role,omitempty"`
	Kind       string                   `json:"kind,omitempty"`
	Send       []string                 `json:"send,omitempty"`
	Receive    []Receive                `json:"receive,omitempty"`
	ICEServers []webrtc.ICEServer       `json:"ice_servers,omitempty"`
	State      string                   `json:"state,omitempty"`
	Peer       string                   `json:"peer,omitempty"`
	Reason     string                   `json:"reason,omitempty"`
	Code       string                   `json:"code,omitempty"`
	Message    string                   `json:"message,omitempty"`
}

// Receive is one entry of the hello's receive list.
type Receive struct {
	From  string   `json:"from"`
	Kinds []string `json:"kinds"`
}

// Options configure a client.
type Options struct {
	// Header is sent with the WebSocket upgrade (e.g. Authorization).
	Header http.Header
	// API builds the peer connection; nil: NewAPI(true).
	API *webrtc.API
	// ExtraReceive adds receiving m-lines beyond what the hello asks for
	// (tests use it to play a client that asks for more than it may have).
	ExtraReceive []string
	// SendAll makes the client offer sendrecv audio and video whatever the
	// hello says (a misbehaving client).
	SendAll bool
	// OnTrack is called for every track the server sends.
	OnTrack func(*webrtc.TrackRemote)
	// OnSignal sees every message from the server (after the client's own
	// handling).
	OnSignal func(Signal)
}

// NewAPI returns a pion API with VP8, Opus and the default interceptors;
// loopback includes 127.0.0.1 candidates (a test or a load generator on the
// server's machine).
func NewAPI(loopback bool) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(me, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// Client is one signalling connection and its peer connection.
type Client struct {
	PC    *webrtc.PeerConnection
	Hello Signal
	Audio *webrtc.TrackLocalStaticSample // nil unless the client sends audio
	Video *webrtc.TrackLocalStaticSample // nil unless the client sends video

	conn    *websocket.Conn
	opts    Options
	wmu     sync.Mutex
	answers chan string
	events  chan Signal
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	cmu          sync.Mutex
	haveAnswer   bool
	pendingCands []webrtc.ICECandidateInit

	connected  chan struct{}
	connOnce   sync.Once
	keyframes  atomic.Int32 // PLI/FIR received for Video
	closedOnce sync.Once
}

// Dial connects to wsURL (ws://…/api/v1/alarms/{id}/rtc[?…]), negotiates,
// and returns once the answer is applied (ICE may still be connecting).
func Dial(ctx context.Context, wsURL string, opts Options) (*Client, error) {
	if opts.API == nil {
		a, err := NewAPI(true)
		if err != nil {
			return nil, err
		}
		opts.API = a
	}
	conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: opts.Header})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("rtcclient: dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("rtcclient: dial: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{conn: conn, opts: opts, answers: make(chan string, 4), events: make(chan Signal, 64),
		ctx: cctx, cancel: cancel, done: make(chan struct{}), connected: make(chan struct{})}
	var hello Signal
	if err := c.read(ctx, &hello); err != nil {
		c.Close()
		return nil, err
	}
	if hello.Type == "error" {
		c.Close()
		return nil, fmt.Errorf("rtcclient: server: %s: %s", hello.Code, hello.Message)
	}
	if hello.Type != "hello" {
		c.Close()
		return nil, fmt.Errorf("rtcclient: want hello, got %q", hello.Type)
	}
	c.Hello = hello
	if err := c.setup(); err != nil {
		c.Close()
		return nil, err
	}
	go c.readLoop()
	if err := c.negotiate(ctx, false); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *Client) setup() error {
	pc, err := c.opts.API.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	c.PC = pc
	send := c.Hello.Send
	if c.opts.SendAll {
		send = []string{"audio", "video"}
	}
	// The first receive entry pairs with our send tracks (sendrecv); the
	// rest are recvonly m-lines, in the order the server expects.
	var recv [][]string
	for _, r := range c.Hello.Receive {
		recv = append(recv, r.Kinds)
	}
	first := []string{}
	if len(recv) > 0 {
		first = recv[0]
	}
	for _, kind := range []string{"audio", "video"} {
		want := has(first, kind) || has(c.opts.ExtraReceive, kind)
		if has(send, kind) {
			var cap webrtc.RTPCodecCapability
			if kind == "audio" {
				cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
			} else {
				cap = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
			}
			tr, err := webrtc.NewTrackLocalStaticSample(cap, kind, "caller")
			if err != nil {
				return err
			}
			dir := webrtc.RTPTransceiverDirectionSendonly
			if want {
				dir = webrtc.RTPTransceiverDirectionSendrecv
			}
			t, err := pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: dir})
			if err != nil {
				return err
			}
			go c.readRTCP(t.Sender(), kind == "video")
			if kind == "audio" {
				c.Audio = tr
			} else {
				c.Video = tr
			}
		} else if want {
			if _, err := pc.AddTransceiverFromKind(kindOf(kind), webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return err
			}
		}
	}
	for _, kinds := range recv[min(1, len(recv)):] {
		for _, kind := range []string{"audio", "video"} {
			if has(kinds, kind) {
				if _, err := pc.AddTransceiverFromKind(kindOf(kind), webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
					return err
				}
			}
		}
	}
	pc.OnICECandidate(func(ci *webrtc.ICECandidate) {
		if ci == nil {
			return
		}
		j := ci.ToJSON()
		_ = c.write(Signal{Type: "candidate", Candidate: &j})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			c.connOnce.Do(func() { close(c.connected) })
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if c.opts.OnTrack != nil {
			c.opts.OnTrack(t)
			return
		}
		go func() {
			buf := make([]byte, 1500)
			for {
				if _, _, err := t.Read(buf); err != nil {
					return
				}
			}
		}()
	})
	return nil
}

func kindOf(k string) webrtc.RTPCodecType {
	if k == "video" {
		return webrtc.RTPCodecTypeVideo
	}
	return webrtc.RTPCodecTypeAudio
}

func (c *Client) readRTCP(s *webrtc.RTPSender, video bool) {
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		if !video {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				c.keyframes.Add(1)
			}
		}
	}
}

// KeyframeRequested reports (and clears) whether the server asked for a
// keyframe since the last call.
func (c *Client) KeyframeRequested() bool { return c.keyframes.Swap(0) > 0 }

func (c *Client) negotiate(ctx context.Context, restart bool) error {
	c.cmu.Lock()
	c.haveAnswer = false
	c.cmu.Unlock()
	offer, err := c.PC.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		return err
	}
	if err := c.PC.SetLocalDescription(offer); err != nil {
		return err
	}
	if err := c.write(Signal{Type: "offer", SDP: offer.SDP}); err != nil {
		return err
	}
	select {
	case sdp := <-c.answers:
		err := c.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
		c.cmu.Lock()
		c.haveAnswer = true
		pend := c.pendingCands
		c.pendingCands = nil
		c.cmu.Unlock()
		for _, ci := range pend {
			_ = c.PC.AddICECandidate(ci)
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return errors.New("rtcclient: connection closed")
	}
}

// RestartICE renegotiates with fresh ICE credentials (what a phone does
// after a network change); the peer connection, tracks and the server's
// recording stay the same.
func (c *Client) RestartICE(ctx context.Context) error { return c.negotiate(ctx, true) }

// WaitConnected waits until the peer connection is connected.
func (c *Client) WaitConnected(ctx context.Context) error {
	select {
	case <-c.connected:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return errors.New("rtcclient: connection closed")
	}
}

// Events delivers server messages other than answers and candidates.
func (c *Client) Events() <-chan Signal { return c.events }

// Done is closed when the signalling connection ends.
func (c *Client) Done() <-chan struct{} { return c.done }

func (c *Client) read(ctx context.Context, m *Signal) error {
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, m)
}

func (c *Client) write(m Signal) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, b)
}

func (c *Client) readLoop() {
	defer close(c.done)
	for {
		var m Signal
		if err := c.read(c.ctx, &m); err != nil {
			return
		}
		switch m.Type {
		case "answer":
			c.answers <- m.SDP
		case "candidate":
			if m.Candidate != nil {
				// The answer is applied on another goroutine: candidates
				// that overtake it wait.
				c.cmu.Lock()
				if !c.haveAnswer {
					c.pendingCands = append(c.pendingCands, *m.Candidate)
					c.cmu.Unlock()
					continue
				}
				c.cmu.Unlock()
				_ = c.PC.AddICECandidate(*m.Candidate)
			}
		default:
			select {
			case c.events <- m:
			default:
			}
		}
		if c.opts.OnSignal != nil {
			c.opts.OnSignal(m)
		}
	}
}

// Close says bye and closes the socket and the peer connection.
func (c *Client) Close() {
	c.closedOnce.Do(func() {
		_ = c.write(Signal{Type: "bye"})
		c.cancel()
		_ = c.conn.Close(websocket.StatusNormalClosure, "")
		if c.PC != nil {
			_ = c.PC.Close()
		}
	})
}

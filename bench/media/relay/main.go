// Command relay is the baseline for the media benchmark: a plain pion
// relay (TrackRemote.Read → TrackLocalStaticRTP.Write, pion's default
// interceptors and settings, no recording, no rules) speaking the same
// signalling messages as open110, so the same load generator drives both.
//
//	go run ./bench/media/relay --addr 127.0.0.1:8121
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

type msg struct {
	Type      string                   `json:"type"`
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	Role      string                   `json:"role,omitempty"`
	Kind      string                   `json:"kind,omitempty"`
	Send      []string                 `json:"send,omitempty"`
	Receive   []map[string]any         `json:"receive,omitempty"`
}

type room struct {
	audio, video *webrtc.TrackLocalStaticRTP
	mu           sync.Mutex
	callerPC     *webrtc.PeerConnection
	videoSSRC    uint32
}

var (
	api   *webrtc.API
	mu    sync.Mutex
	rooms = map[string]*room{}
)

func getRoom(id string) *room {
	mu.Lock()
	defer mu.Unlock()
	r := rooms[id]
	if r == nil {
		r = &room{}
		r.audio, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "caller")
		r.video, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "caller")
		rooms[id] = r
	}
	return r
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8121", "listen address")
	flag.Parse()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		panic(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		panic(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true) // the load generator is on this host
	api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/alarms/{id}/rtc", handle)
	fmt.Printf("plain pion relay on http://%s pid %d\n", *addr, os.Getpid())
	if err := http.ListenAndServe(*addr, mux); err != nil {
		panic(err)
	}
}

func handle(w http.ResponseWriter, r *http.Request) {
	caller := strings.HasPrefix(r.URL.Query().Get("access_token"), "c")
	rm := getRoom(r.PathValue("id"))
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	c.SetReadLimit(1 << 20)
	ctx := context.Background()
	var wmu sync.Mutex
	send := func(m msg) {
		b, _ := json.Marshal(m)
		wmu.Lock()
		defer wmu.Unlock()
		_ = c.Write(ctx, websocket.MessageText, b)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		c.CloseNow()
		return
	}
	defer pc.Close()
	var cmu sync.Mutex
	answered := false
	var pending []webrtc.ICECandidateInit
	pc.OnICECandidate(func(ci *webrtc.ICECandidate) {
		if ci == nil {
			return
		}
		j := ci.ToJSON()
		cmu.Lock()
		defer cmu.Unlock()
		if !answered {
			pending = append(pending, j)
			return
		}
		send(msg{Type: "candidate", Candidate: &j})
	})
	av := []string{"audio", "video"}
	if caller {
		send(msg{Type: "hello", Role: "caller", Kind: "video", Send: av, Receive: []map[string]any{{"from": "dispatcher", "kinds": []string{}}}})
		rm.mu.Lock()
		rm.callerPC = pc
		rm.mu.Unlock()
		pc.OnTrack(func(t *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
			go func() { // drain the publisher's RTCP, as any pion app must
				for {
					if _, _, err := recv.ReadRTCP(); err != nil {
						return
					}
				}
			}()
			out := rm.audio
			if t.Kind() == webrtc.RTPCodecTypeVideo {
				out = rm.video
				rm.mu.Lock()
				rm.videoSSRC = uint32(t.SSRC())
				rm.mu.Unlock()
			}
			buf := make([]byte, 1500)
			for {
				n, _, err := t.Read(buf)
				if err != nil {
					return
				}
				_, _ = out.Write(buf[:n])
			}
		})
	} else {
		send(msg{Type: "hello", Role: "dispatcher", Kind: "video", Receive: []map[string]any{{"from": "caller", "kinds": av}}})
	}
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m msg
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		switch m.Type {
		case "offer":
			cmu.Lock()
			answered = false
			cmu.Unlock()
			if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
				return
			}
			if !caller && len(pc.GetSenders()) == 0 {
				for _, t := range []*webrtc.TrackLocalStaticRTP{rm.audio, rm.video} {
					s, err := pc.AddTrack(t)
					if err != nil {
						return
					}
					video := t == rm.video
					go func() {
						for {
							pkts, _, err := s.ReadRTCP()
							if err != nil {
								return
							}
							for _, p := range pkts {
								if _, ok := p.(*rtcp.PictureLossIndication); ok && video {
									rm.mu.Lock()
									cpc, ssrc := rm.callerPC, rm.videoSSRC
									rm.mu.Unlock()
									if cpc != nil {
										_ = cpc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
									}
								}
							}
						}
					}()
				}
			}
			ans, err := pc.CreateAnswer(nil)
			if err != nil {
				return
			}
			if err := pc.SetLocalDescription(ans); err != nil {
				return
			}
			cmu.Lock()
			send(msg{Type: "answer", SDP: pc.LocalDescription().SDP})
			answered = true
			for i := range pending {
				send(msg{Type: "candidate", Candidate: &pending[i]})
			}
			pending = nil
			cmu.Unlock()
		case "candidate":
			if m.Candidate != nil {
				_ = pc.AddICECandidate(*m.Candidate)
			}
		case "bye":
			c.Close(websocket.StatusNormalClosure, "")
			return
		}
	}
}

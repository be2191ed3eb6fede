package media

import (
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/transport/v5/udp"
	"github.com/pion/webrtc/v4"
)

// Codecs the SFU negotiates. Only VP8 and Opus: every browser we target
// (Chromium, Firefox, Safari ≥ 12.1, Android WebView) sends both, the
// recorder writes them into WebM without transcoding, and a single codec
// per kind means a publisher's packets can go to any subscriber unchanged.
var (
	codecVP8 = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}}},
		PayloadType: 96,
	}
	codecRTX = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=96"},
		PayloadType:        97,
	}
	codecOpus = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType: 111,
	}
)

// sfu holds the pion API shared by every room, the shared sockets, and the
// forwarding counters.
type sfu struct {
	api     *webrtc.API
	log     *slog.Logger
	closers []func()

	packetsIn, packetsOut, bytesOut atomic.Uint64
}

// nackHistory is how many sent packets per video stream the NACK responder
// keeps for retransmission. pion's default is 1024 (≈ 8 s of 1 Mbit/s VP8,
// over 1 MB per subscriber); retransmissions only help within a round trip
// or two, so 256 (≈ 2 s) keeps the benefit at a quarter of the memory.
const nackHistory = 256

// sharedSocketBuffer is the kernel buffer asked for on the shared media
// socket: ~0.3 s of 200 callers at 1 Mbit/s.
const sharedSocketBuffer = 8 << 20

func newSFU(cfg Config, log *slog.Logger) (*sfu, error) {
	s := &sfu{log: log}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(codecVP8, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := me.RegisterCodec(codecRTX, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := me.RegisterCodec(codecOpus, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}

	// Interceptors (each runs on every packet, so only what earns its cost):
	//   - NACK generator on what we receive (asks the caller's phone to resend
	//     lost packets, which pion folds back into the track, RTX included)
	//     and NACK responder on what we send (resends to the dispatcher from
	//     a short history; see nackHistory). Registers "nack" and "nack pli"
	//     feedback so browsers send us PLIs, which we forward to the publisher.
	//   - RTCP sender/receiver reports: browsers need SRs for lip sync and
	//     RRs drive the publisher's loss-based rate control.
	//   - TWCC feedback for what we receive: the publisher's browser runs its
	//     send-side bandwidth estimation (GCC) on it, so a caller on a weak
	//     network lowers its bitrate instead of losing packets.
	// Not registered: pion's stats interceptor (per-packet bookkeeping we do
	// not read) and sender-side GCC with its pacer (a goroutine hand-off per
	// packet; the downstream legs are dispatcher consoles on the police
	// network, and a single-layer stream cannot be thinned anyway).
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNackWithOptions(me, ir, nil, nack.ResponderSize(nackHistory)); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(me, ir); err != nil {
		return nil, err
	}

	se := webrtc.SettingEngine{}
	// Give the client a few seconds' grace before declaring the connection
	// broken (pion: 5 s disconnected, 25 s failed, 2 s keepalive). A phone
	// switching from Wi-Fi to LTE looks "disconnected" until it sends an ICE
	// restart; we keep the peer alive 30 s for that, and keepalives at 2 s
	// let NAT bindings survive.
	se.SetICETimeouts(5*time.Second, 30*time.Second, 2*time.Second)
	// mDNS candidates hide local addresses from web pages; a server has
	// nothing to hide and resolving .local names from clients costs a
	// multicast query each, so turn mDNS off both ways.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if cfg.Loopback || cfg.LoopbackOnly {
		// Loopback candidates are needed for tests and single-host demos
		// (browsers in a network namespace reach us on 127.0.0.x).
		se.SetIncludeLoopbackCandidate(true)
	}
	if cfg.LoopbackOnly {
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if len(cfg.PublicIPs) > 0 {
		// 1:1 NAT: announce the public addresses instead of the private
		// host addresses (the rewrite-rule form of the old NAT1To1IPs).
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: cfg.PublicIPs, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			return nil, fmt.Errorf("media: public IPs: %w", err)
		}
	}
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if cfg.UDPAddr != "" {
		conn, err := net.ListenPacket("udp", cfg.UDPAddr)
		if err != nil {
			return nil, fmt.Errorf("media: udp listen %s: %w", cfg.UDPAddr, err)
		}
		if got := growSocketBuffers(conn, sharedSocketBuffer); got < sharedSocketBuffer {
			log.Warn("media: the shared UDP socket's receive buffer is small; raise net.core.rmem_max (or run with CAP_NET_ADMIN)",
				"want_bytes", sharedSocketBuffer, "granted_bytes", got)
		}
		// One socket for every peer connection, with writes batched into
		// sendmmsg calls: a sendto per packet was the largest single CPU
		// cost of forwarding measured on our machines. Packets wait at most
		// 1 ms for a batch (interval/2 ticks) or go out when 64 are queued.
		bc := udp.NewBatchConn(conn, 64, 2*time.Millisecond)
		mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: bc})
		se.SetICEUDPMux(mux)
		s.closers = append(s.closers, func() { _ = mux.Close() })
	}
	if cfg.TCPAddr != "" {
		ln, err := net.Listen("tcp", cfg.TCPAddr)
		if err != nil {
			return nil, fmt.Errorf("media: tcp listen %s: %w", cfg.TCPAddr, err)
		}
		// ICE-TCP (passive): for networks that drop UDP. 8 is the number of
		// queued packets per connection while ICE checks are pending.
		tcpMux := webrtc.NewICETCPMux(nil, ln, 8)
		se.SetICETCPMux(tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
		s.closers = append(s.closers, func() { _ = tcpMux.Close() })
	}
	se.SetNetworkTypes(networks)

	s.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return s, nil
}

func (s *sfu) close() {
	for _, c := range s.closers {
		c()
	}
}

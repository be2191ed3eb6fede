package media

import (
	"testing"

	"github.com/pion/sdp/v3"
)

// FuzzSignal: any client message is either accepted with what its type
// needs, or answered with a stable error code; offers that pass reach
// pion's SDP parser, which must not panic on them either.
func FuzzSignal(f *testing.F) {
	for _, s := range []string{
		`{"type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"}`,
		`{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0"}}`,
		`{"type":"bye"}`, `{"type":"offer"}`, `{"type":"candidate"}`, `{"type":"dance"}`, `[]`, `{`, `{"type":"offer","sdp":"v=0\r\nm=audio"}`,
	} {
		f.Add([]byte(s))
	}
	codes := map[string]bool{"invalid_json": true, "unknown_type": true, "bad_sdp": true, "bad_candidate": true}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, bad := decodeSignal(data)
		if bad != nil {
			if bad.Type != "error" || !codes[bad.Code] {
				t.Fatalf("unstable error %+v", bad)
			}
			return
		}
		switch m.Type {
		case "offer":
			if m.SDP == "" {
				t.Fatal("offer without SDP accepted")
			}
			var sd sdp.SessionDescription
			_ = sd.UnmarshalString(m.SDP) // must not panic
		case "candidate":
			if m.Candidate == nil {
				t.Fatal("candidate message without candidate accepted")
			}
		case "bye":
		default:
			t.Fatalf("type %q accepted", m.Type)
		}
	})
}

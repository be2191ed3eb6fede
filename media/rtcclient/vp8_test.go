package rtcclient

import "testing"

func TestVP8FrameStart(t *testing.T) {
	rtp := func(ext bool, payload ...byte) []byte {
		p := []byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2}
		if ext {
			p[0] |= 0x10
			p = append(p, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0) // one-word extension
		}
		return append(p, payload...)
	}
	key := []byte{0x10, 0x00, 0x00, 0x9d}                         // S=1 PID=0, VP8 tag P=0 (keyframe)
	inter := []byte{0x10, 0x01, 0x00, 0x00}                       // S=1, P=1
	middle := []byte{0x00, 0x00, 0x00, 0x9d}                      // S=0: a continuation
	withPicID := []byte{0x90, 0x80, 0x81, 0x23, 0x00, 0x00, 0x9d} // X, I with a 15-bit picture ID
	for _, c := range []struct {
		name       string
		pkt        []byte
		start, key bool
	}{
		{"keyframe", rtp(false, key...), true, true},
		{"keyframe after a header extension", rtp(true, key...), true, true},
		{"keyframe with a picture ID", rtp(false, withPicID...), true, true},
		{"inter frame", rtp(false, inter...), true, false},
		{"middle of a frame", rtp(false, middle...), false, false},
		{"short", []byte{0x80, 96}, false, false},
		{"header only", rtp(false), false, false},
		{"extension past the end", append(rtp(false), 0)[:12], false, false},
	} {
		if s, k := VP8FrameStart(c.pkt); s != c.start || k != c.key {
			t.Errorf("%s: start %v key %v, want %v %v", c.name, s, k, c.start, c.key)
		}
	}
}

func FuzzVP8FrameStart(f *testing.F) {
	f.Add([]byte{0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xbe, 0xde, 0xff, 0xff})
	f.Add([]byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x90, 0x80})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if s, k := VP8FrameStart(pkt); k && !s {
			t.Fatal("a keyframe that does not start a frame")
		}
	})
}

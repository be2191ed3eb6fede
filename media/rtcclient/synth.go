package rtcclient

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"
)

// VP8Frame builds a synthetic VP8 frame of size bytes (at least 10): a real
// frame tag and, for keyframes, the start code and a width×height header,
// followed by filler. Decoders would reject the filler, but every parser
// that reads frame headers (the recorder, ffprobe) sees a valid stream.
func VP8Frame(size int, key bool, width, height int) []byte {
	if size < 10 {
		size = 10
	}
	b := make([]byte, size)
	first := uint32(size - 10) // "first partition size"
	tag := first<<5 | 1<<4     // show_frame
	if !key {
		tag |= 1 // inter frame
	}
	b[0], b[1], b[2] = byte(tag), byte(tag>>8), byte(tag>>16)
	if key {
		b[3], b[4], b[5] = 0x9d, 0x01, 0x2a
		binary.LittleEndian.PutUint16(b[6:], uint16(width))
		binary.LittleEndian.PutUint16(b[8:], uint16(height))
	}
	for i := 10; i < size; i++ {
		b[i] = byte(i)
	}
	return b
}

// IsVP8Keyframe reports whether a depacketized VP8 frame is a keyframe.
func IsVP8Keyframe(frame []byte) bool { return len(frame) >= 3 && frame[0]&1 == 0 }

// opusSilence is one 20 ms Opus frame (CELT, mono silence).
var opusSilence = []byte{0xf8, 0xff, 0xfe}

// SendSynthetic sends paced synthetic media on the client's tracks until
// ctx ends: VP8 at kbps (fps frames a second, a keyframe every keyEvery
// and whenever the server asks) and a 20 ms Opus frame every 20 ms.
func (c *Client) SendSynthetic(ctx context.Context, kbps, fps int, keyEvery time.Duration) {
	if c.Audio != nil {
		go func() {
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					_ = c.Audio.WriteSample(media.Sample{Data: opusSilence, Duration: 20 * time.Millisecond})
				}
			}
		}()
	}
	if c.Video == nil {
		return
	}
	if fps <= 0 {
		fps = 30
	}
	frameBytes := kbps * 1000 / 8 / fps
	interval := time.Second / time.Duration(fps)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		lastKey := time.Time{}
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				key := c.KeyframeRequested() || now.Sub(lastKey) >= keyEvery
				if key {
					lastKey = now
				}
				_ = c.Video.WriteSample(media.Sample{Data: VP8Frame(frameBytes, key, 640, 480), Duration: interval})
			}
		}
	}()
}

package webm

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestFFprobeReads writes a file with synthetic frames and checks that
// ffprobe finds both streams and the duration. The frames are not real
// VP8/Opus, so only the container is checked.
func TestFFprobeReads(t *testing.T) {
	probe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe not installed")
	}
	path := filepath.Join(t.TempDir(), "a.webm")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f, time.Now(),
		Track{Number: 1, Video: true, Codec: "V_VP8", Width: 640, Height: 480},
		Track{Number: 2, Codec: "A_OPUS", SampleRate: 48000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetVideoSize(1, 320, 240); err != nil {
		t.Fatal(err)
	}
	for ms := int64(0); ms <= 3000; ms += 20 {
		if err := w.WriteFrame(2, ms, true, []byte{0xfc, 0xff, 0xfe}); err != nil {
			t.Fatal(err)
		}
		if ms%40 == 0 {
			if err := w.WriteFrame(1, ms, ms%1000 == 0, make([]byte, 300)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command(probe, "-v", "error", "-show_streams", "-show_format", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	var res struct {
		Streams []struct {
			CodecName string `json:"codec_name"`
			Width     int    `json:"width"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Streams) != 2 || res.Streams[0].CodecName != "vp8" || res.Streams[1].CodecName != "opus" || res.Streams[0].Width != 320 {
		t.Fatalf("streams: %s", out)
	}
	if res.Format.Duration != "3.000000" {
		t.Fatalf("duration %q", res.Format.Duration)
	}
}

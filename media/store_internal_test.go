package media

import (
	"context"
	"testing"
	"time"

	"open110/audit"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// TestRecoveredSegmentKept: node A died mid-segment 3 and node B went on
// recording from number 3; when A restarts and recovers its leftover
// segment 3, both are kept (the leftover under the next free number), and
// a retried upload of the same bytes is stored once.
func TestRecoveredSegmentKept(t *testing.T) {
	dbtest.Each(t, []db.Migrations{audit.Migrations(), Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := &store{db: d, now: time.Now}
		t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		seg := func(seq int, sha byte, start time.Duration) Segment {
			h := make([]byte, 64)
			for i := range h {
				h[i] = "0123456789abcdef"[int(sha)%16]
			}
			return Segment{AlarmID: "a1", Track: "caller", Seq: seq, Start: t0.Add(start), End: t0.Add(start + 10*time.Second), SHA256: string(h), Size: 100, Codecs: "vp8,opus"}
		}
		for i, g := range []Segment{seg(1, 1, 0), seg(2, 2, 10*time.Second), seg(3, 4, 25*time.Second)} { // B's segment 3
			if got, err := st.insertSegment(ctx, g); err != nil || got != g.Seq {
				t.Fatalf("segment %d: stored as %d, %v", i, got, err)
			}
		}
		recovered := seg(3, 3, 20*time.Second) // A's leftover: same number, other bytes, earlier start
		got, err := st.insertSegment(ctx, recovered)
		if err != nil || got != 4 {
			t.Fatalf("recovered segment stored as %d (%v), want 4", got, err)
		}
		if again, err := st.insertSegment(ctx, seg(2, 2, 10*time.Second)); err != nil || again != 2 {
			t.Fatalf("retried upload: %d %v", again, err)
		}
		segs, err := st.segments(ctx, "a1")
		if err != nil || len(segs) != 4 {
			t.Fatalf("%d segments (%v), want 4", len(segs), err)
		}
		// Playback order is by start time: the recovered one comes third.
		if segs[2].SHA256 != recovered.SHA256 {
			t.Fatalf("order: %+v", segs)
		}
	})
}

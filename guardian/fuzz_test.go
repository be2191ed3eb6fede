package guardian

import (
	"math"
	"testing"

	"open110/platform/api"
	"open110/platform/apperr"
)

// FuzzPoints: a POST /api/v1/trips/{id}/points body decodes strictly and
// validates as a whole batch, or is refused with invalid_points or
// too_many_points — never a panic or an internal error. What passes holds
// 1–MaxBatch points, each with seq ≥ 1, a capture time and a finite WGS-84
// position (not 0,0) with an accuracy of 0–100 km.
func FuzzPoints(f *testing.F) {
	for _, s := range []string{
		`{"points":[{"seq":1,"at":"2026-05-01T08:00:00Z","lat":38.043,"lng":114.515,"accuracy_m":5}]}`,
		`{"points":[{"seq":1,"at":"2026-05-01T08:00:00+08:00","lat":38,"lng":114},{"seq":1,"at":"2026-05-01T08:00:01Z","lat":38,"lng":114}]}`,
		`{"points":[]}`, `{"points":[{"seq":0,"at":"2026-05-01T08:00:00Z","lat":38,"lng":114}]}`,
		`{"points":[{"seq":2,"lat":38,"lng":114}]}`, `{"points":[{"seq":3,"at":"2026-05-01T08:00:00Z","lat":0,"lng":0}]}`,
		`{"points":[{"seq":4,"at":"2026-05-01T08:00:00Z","lat":38,"lng":114,"accuracy_m":-1}]}`, `{"points":[{"seq":"1"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in PointsBody
		if err := api.DecodeBytes(b, &in); err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("internal error for client input: %v", err)
			}
			return
		}
		if err := validatePoints(in.Points); err != nil {
			if c := apperr.CodeOf(err); c != "invalid_points" && c != "too_many_points" {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		if len(in.Points) == 0 || len(in.Points) > MaxBatch {
			t.Fatalf("accepted a batch of %d", len(in.Points))
		}
		for _, p := range in.Points {
			finite := !math.IsNaN(p.Lat+p.Lng+p.AccuracyM) && !math.IsInf(p.Lat+p.Lng+p.AccuracyM, 0)
			if p.Seq < 1 || p.At.IsZero() || !finite || math.Abs(p.Lat) > 90 || math.Abs(p.Lng) > 180 || (p.Lat == 0 && p.Lng == 0) ||
				p.AccuracyM < 0 || p.AccuracyM > 100000 {
				t.Fatalf("accepted %+v", p)
			}
		}
	})
}

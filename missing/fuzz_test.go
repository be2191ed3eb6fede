package missing

import (
	"testing"
	"time"

	"open110/geo"
	"open110/platform/api"
	"open110/platform/apperr"
)

// The decoders that take input from anyone never panic and answer bad
// input with an application error (a stable code), never an internal one.

func FuzzSubmission(f *testing.F) {
	f.Add(`{"person":{"name":"张三","sex":"male","age":8,"clothing":"红衣"},"last_seen":{"at":"2025-05-31T09:00:00Z","position":{"lat":38,"lng":114.5},"place":"x"},"police":{"unit":"130102","phone":"0311-86688110","case_number":"A1301020000002025050001"},"initiator":{"relation":"parent"}}`)
	f.Add(`{"person":{"birth_date":"2999-01-01","age":-5}}`)
	f.Add(`{"police":{"unit":"110105","case_number":"J130102000000202501000"}}`)
	f.Add(`[]`)
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		var in Submission
		if err := api.DecodeBytes([]byte(body), &in); err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("decode: internal error %v", err)
			}
			return
		}
		if _, err := validate(in, now, "+8613800000001"); err != nil && apperr.From(err).Kind == apperr.Internal {
			t.Fatalf("validate: internal error %v", err)
		}
	})
}

func FuzzCaseNumber(f *testing.F) {
	for _, s := range []string{"A1301020000002025050001", "a 130102-000000-202505-0001", "J1300000000002000010000", "", "A13010200000020251300019"} {
		f.Add(s, "130102")
	}
	now := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s, unit string) {
		u, ok := geo.UnitByCode(unit)
		if !ok {
			u, _ = geo.UnitByCode("130000")
		}
		got, err := NormalizeCaseNumber(s, u, now)
		if err != nil {
			if c := apperr.CodeOf(err); c != "invalid_case_number" && c != "case_number_unit_mismatch" && c != "missing_field" {
				t.Fatalf("code %q", c)
			}
			return
		}
		if len(got) != caseNumLen {
			t.Fatalf("accepted %q as %q", s, got)
		}
		if again, err := NormalizeCaseNumber(got, u, now); err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q (%v)", got, again, err)
		}
	})
}

func FuzzFeedQuery(f *testing.F) {
	f.Add("published", "130100", "38.0", "114.5", "50", "", "20")
	f.Add("closed", "", "NaN", "1e400", "-1", "1.x", "0")
	f.Fuzz(func(t *testing.T, state, city, lat, lng, km, before, limit string) {
		vals := map[string]string{"state": state, "city": city, "lat": lat, "lng": lng, "within_km": km, "before": before, "limit": limit}
		q, err := ParseFeedQuery(func(k string) string { return vals[k] })
		if err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("internal: %v", err)
			}
			return
		}
		if _, _, err := parseCursor(q.Before); err != nil && apperr.CodeOf(err) != "invalid_cursor" {
			t.Fatal(err)
		}
	})
}

func FuzzSniffMedia(f *testing.F) {
	f.Add(pngHead)
	f.Add([]byte("\x00\x00\x00\x18ftypqt  "))
	f.Add([]byte("\x1aE\xdf\xa3"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, head []byte) {
		kind, ctype, limit, err := SniffMedia(head)
		if err != nil {
			if c := apperr.CodeOf(err); c != "unsupported_media" && c != "media_empty" {
				t.Fatalf("code %q", c)
			}
			return
		}
		if (kind != "photo" && kind != "video") || ctype == "" || limit <= 0 {
			t.Fatalf("%q %q %d", kind, ctype, limit)
		}
	})
}

package alarm

import (
	"slices"
	"testing"
	"unicode/utf8"

	"open110/platform/api"
	"open110/platform/apperr"
)

// The decoders must never panic and must answer bad input with an
// application error (a stable code), never an internal one.
func checkDecodeErr(t *testing.T, err error) {
	if err != nil && apperr.From(err).Kind == apperr.Internal {
		t.Fatalf("internal error for client input: %v", err)
	}
}

func FuzzDecodeRaise(f *testing.F) {
	for _, s := range []string{`{"kind":"text","location":{"lat":38.04,"lng":114.52,"accuracy_m":10}}`,
		`{"kind":"video"}`, `{"kind":"text","text":"救命","idempotency_key":"k"}`, `{"kind":1}`, `[]`, `{"location":{"lat":1e999}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := DecodeRaise(b)
		checkDecodeErr(t, err)
		if err == nil && (!in.Kind.Valid() || in.Kind == SMS) {
			t.Fatalf("accepted kind %q", in.Kind)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"text":"请问您现在安全吗？"}`, `{"text":""}`, `{"text":"\u0000"}`, `{"text":null}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		text, err := DecodeMessage(b)
		checkDecodeErr(t, err)
		if err == nil && (text == "" || len([]rune(text)) > MaxMessageRunes) {
			t.Fatalf("accepted %q", text)
		}
	})
}

func FuzzDecodeSMS(f *testing.F) {
	for _, s := range []string{`{"id":"g1","from":"13912345678","to":"12110","text":"救命"}`,
		`{"id":"g2","from":"+8613912345678","to":"12110","text":"x","at":"2026-01-01T00:00:00Z","cell":{"lat":38,"lng":114.5,"accuracy_m":500}}`,
		`{"id":"","from":"","text":""}`, `{"id":"g3","from":"0311-12345678","text":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := DecodeSMS(b)
		checkDecodeErr(t, err)
		if err == nil && (in.ID == "" || in.From == "" || in.Text == "" || (in.Cell != nil && in.Cell.Validate() != nil)) {
			t.Fatalf("accepted %+v", in)
		}
	})
}

// FuzzIncidentInput: a PUT /api/v1/alarms/{id}/incident body decodes
// strictly and validates, or is refused with a stable code; what passes
// has a known category, a priority 0–4, bounded valid-UTF-8 text, and
// validates again unchanged (what is stored is what a re-save stores).
func FuzzIncidentInput(f *testing.F) {
	for _, s := range []string{`{"category":"治安","priority":2,"address":"长安区建设北大街","notes":"两人争执"}`,
		`{"category":"","priority":0}`, `{"category":"刑事","priority":5}`, `{"priority":-1}`, `{"notes":"\u0000 \ud800"}`,
		`{"address":" x ","notes":"  "}`, `{"category":"其它"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in IncidentInput
		if err := api.DecodeBytes(b, &in); err != nil {
			checkDecodeErr(t, err)
			return
		}
		err := in.validate()
		checkDecodeErr(t, err)
		if err != nil {
			return
		}
		if (in.Category != "" && !slices.Contains(Categories, in.Category)) || in.Priority < 0 || in.Priority > 4 ||
			!utf8.ValidString(in.Address) || !utf8.ValidString(in.Notes) ||
			utf8.RuneCountInString(in.Address) > 500 || utf8.RuneCountInString(in.Notes) > 10000 {
			t.Fatalf("accepted %+v", in)
		}
		again := in
		if err := again.validate(); err != nil || again != in {
			t.Fatalf("validating twice: %+v → %+v, %v", in, again, err)
		}
	})
}

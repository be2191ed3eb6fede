package alarm

import (
	"testing"

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

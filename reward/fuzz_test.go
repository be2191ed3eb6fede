package reward

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"open110/platform/api"
	"open110/platform/apperr"
)

var fuzzNow = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

// FuzzNewTask: a POST /api/v1/rewards body decodes strictly and
// validates, or is refused with a stable code — never a panic or an
// internal error. What passes is trimmed, bounded, valid UTF-8, has an
// amount of 1–10,000,000 yuan and a window that ends after it starts, in
// the future and within two years.
func FuzzNewTask(f *testing.F) {
	for _, s := range []string{
		`{"title":"寻找目击者","description":"请提供线索","amount_yuan":1000,"area":"长安区","valid_until":"2026-06-01T00:00:00Z"}`,
		`{"title":" x ","description":"d","amount_yuan":1,"valid_from":"2026-04-30T09:00:00+08:00","valid_until":"2026-05-01T08:00:00.000001Z"}`,
		`{"title":"ab","description":"d","amount_yuan":10000001,"valid_until":"2028-05-03T00:00:00Z"}`,
		`{"title":"ab","description":"d","amount_yuan":5,"valid_from":"0001-01-01T00:00:00Z","valid_until":"9999-12-31T23:59:59Z"}`,
		`{"amount_yuan":1.5}`, `{"valid_until":"tomorrow"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in NewTask
		if err := api.DecodeBytes(b, &in); err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("internal error for client input: %v", err)
			}
			return
		}
		from, until, err := in.check(fuzzNow)
		if err != nil {
			if e := apperr.From(err); e.Kind != apperr.Invalid || !strings.HasPrefix(e.Code, "invalid_") {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		for _, s := range []string{in.Title, in.Description, in.Area} {
			if s != strings.TrimSpace(s) || !utf8.ValidString(s) {
				t.Fatalf("accepted untrimmed or invalid text %q", s)
			}
		}
		if n := utf8.RuneCountInString(in.Title); n < 2 || n > 100 || in.Description == "" || in.AmountYuan < 1 || in.AmountYuan > 10_000_000 {
			t.Fatalf("accepted %+v", in)
		}
		if !until.After(fuzzNow) || !until.After(from) || until.After(fuzzNow.AddDate(2, 0, 2)) || from.Before(fuzzNow.Add(-24*time.Hour)) {
			t.Fatalf("accepted window %s – %s", from, until)
		}
	})
}

// FuzzNewClue: a POST /api/v1/rewards/{id}/clues body decodes strictly and
// validates, or is refused with invalid_clue; what passes has trimmed,
// bounded, valid-UTF-8 text and contact.
func FuzzNewClue(f *testing.F) {
	for _, s := range []string{`{"text":"嫌疑人往北走了","contact":"13800138000","anonymous":false}`, `{"text":"  "}`,
		`{"text":"x","contact":"` + strings.Repeat("长", 201) + `"}`, `{"text":"\ud800"}`, `{"anonymous":"yes"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in NewClue
		if err := api.DecodeBytes(b, &in); err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("internal error for client input: %v", err)
			}
			return
		}
		if err := in.check(); err != nil {
			if apperr.CodeOf(err) != "invalid_clue" {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		if in.Text == "" || in.Text != strings.TrimSpace(in.Text) || in.Contact != strings.TrimSpace(in.Contact) ||
			utf8.RuneCountInString(in.Text) > 4000 || utf8.RuneCountInString(in.Contact) > 200 {
			t.Fatalf("accepted %+v", in)
		}
	})
}

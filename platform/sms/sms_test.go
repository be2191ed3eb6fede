package sms

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"13800000000", "+8613800000000"},
		{"+8613800000000", "+8613800000000"},
		{"+86 138-0000-0000", "+8613800000000"},
		{"8619912345678", "+8619912345678"},
		{"008615012345678", "+8615012345678"},
		{"12800000000", ""},
		{"1380000000", ""},
		{"+13800000000", ""},
		{"138000000001", ""},
		{"1380000000a", ""},
		{"", ""},
		{"+1 415 555 0100", ""},
	} {
		got, err := NormalizePhone(tc.in)
		if tc.want == "" {
			if !errors.Is(err, ErrInvalidPhone) {
				t.Errorf("%q: got %q, %v; want invalid_phone", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13800000000", "+8613800000000", "0086 150", "+", "１３８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone(s)
		if err != nil {
			return
		}
		if len(got) != 14 || got[:4] != "+861" {
			t.Fatalf("%q normalised to %q", s, got)
		}
		again, err := NormalizePhone(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, got, again, err)
		}
	})
}

func TestOutboxConcurrentLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms-outbox.jsonl")
	o := NewOutbox(path, nil)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := o.Send(context.Background(), "+8613800000000", "您的验证码是 123456"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	msgs, err := ReadOutbox(path)
	if err != nil || len(msgs) != 50 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	if msgs[0].To != "+8613800000000" || msgs[0].At == "" {
		t.Fatalf("bad message %+v", msgs[0])
	}
}

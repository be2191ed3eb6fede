package ids

import (
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	a, b := New("a", t0), New("a", t0.Add(time.Millisecond))
	if len(a) != 33 || !strings.HasPrefix(a, "a") || !Valid(a) {
		t.Fatalf("New = %q", a)
	}
	if a[:13] >= b[:13] {
		t.Fatalf("not time-ordered: %s then %s", a, b)
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := New("a", t0)
		if seen[id] {
			t.Fatalf("%s made twice in one millisecond", id)
		}
		seen[id] = true
	}
}

func TestValid(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"a0196b4f3c2d8e9f0a1b2c3d4e5f6a7b8", true},
		{"c_0196b4f3c2d8e9f0a1b2c3d4e5f6a7b8", true},
		{"tabc234xyz", true}, // an earlier guardian ID (base32)
		{"", false},
		{strings.Repeat("a", MaxLen+1), false},
		{"A1", false},
		{"a1;drop", false},
		{"../etc", false},
		{"a b", false},
		{"ａ1", false},
	} {
		if got := Valid(c.id); got != c.ok {
			t.Errorf("Valid(%q) = %v", c.id, got)
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("a0196b4f3c2d8e9f0a1b2c3d4e5f6a7b8")
	f.Add("../x")
	f.Fuzz(func(t *testing.T, id string) {
		if Valid(id) && (strings.ContainsAny(id, "/.;'\" <>") || len(id) > MaxLen) {
			t.Fatalf("Valid(%q)", id)
		}
	})
}

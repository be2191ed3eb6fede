// Package ids makes and checks the IDs of stored objects: a short prefix
// naming the kind ("a" alarm, "t" trip, "c_" citizen, …), then 12 hex
// digits of milliseconds, so IDs sort roughly by creation time and index
// well, then 20 hex digits (80 bits) from crypto/rand, so they cannot be
// guessed. IDs are not credentials (every read is authorised), but an
// unguessable ID keeps a missing check from becoming an enumeration.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// MaxLen bounds every ID this package makes (prefixes stay short).
const MaxLen = 48

// New returns an ID with prefix made at now.
func New(prefix string, now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:]) // never fails (crypto/rand panics instead)
	return prefix + hex.EncodeToString(b[:])
}

// Valid accepts what New makes, and the IDs of earlier versions: 1 to
// MaxLen lowercase letters, digits and underscores — nothing that could
// be SQL, a path or markup.
func Valid(id string) bool {
	if len(id) == 0 || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

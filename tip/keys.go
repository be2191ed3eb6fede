package tip

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// Keyring holds the master keys that wrap tipsters' identities (envelope
// encryption). Each sealed identity has its own random data key (DEK); the
// identity is encrypted with the DEK (AES-256-GCM) and the DEK is wrapped by
// one master key (AES-256-GCM), named by its key ID. The master keys live
// outside the database (a file or the configuration), so a copy of the
// database alone reveals no tipster.
//
// Rotation: new identities are sealed with the newest key; old ones open
// with theirs; Rewrap moves a sealed identity to the newest key by
// re-wrapping only its DEK (the identity ciphertext is unchanged).
type Keyring struct {
	ids  []string // oldest first; the last one seals
	keys map[string][]byte
}

var keyIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// ParseKeys reads "id:hex,id:hex…" or lines "id hex" (oldest first, '#'
// comments allowed). Each key is 32 bytes of hex (AES-256).
func ParseKeys(spec string) (*Keyring, error) {
	k := &Keyring{keys: map[string][]byte{}}
	fields := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == '\n' })
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		id, hx, ok := strings.Cut(f, ":")
		if !ok {
			id, hx, ok = strings.Cut(f, " ")
		}
		id, hx = strings.TrimSpace(id), strings.TrimSpace(hx)
		if !ok || !keyIDRE.MatchString(id) {
			return nil, fmt.Errorf("identity keys: entry %q: want <id> <64 hex digits>", redactKey(f))
		}
		key, err := hex.DecodeString(hx)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("identity keys: key %q: want 64 hex digits (32 bytes)", id)
		}
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("identity keys: key id %q appears twice", id)
		}
		k.ids = append(k.ids, id)
		k.keys[id] = key
	}
	if len(k.ids) == 0 {
		return nil, errors.New("identity keys: no key given")
	}
	return k, nil
}

func redactKey(s string) string {
	if i := strings.IndexAny(s, ": "); i >= 0 {
		return s[:i] + " …"
	}
	return "…"
}

// LoadKeyFile reads the key file at path, creating it with one fresh key
// when it does not exist (first start). The file holds one "id hex" line per
// key, oldest first.
func LoadKeyFile(path string, now time.Time) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := AddKey(path, now); err != nil {
			return nil, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("identity keys: %w", err)
	}
	return ParseKeys(string(b))
}

// AddKey appends a fresh random key to the key file (creating it), named by
// the date and a random suffix; it becomes the sealing key at next start.
func AddKey(path string, now time.Time) error {
	key := make([]byte, 32)
	suffix := make([]byte, 3)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	if _, err := rand.Read(suffix); err != nil {
		return err
	}
	id := "k" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(suffix)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("identity keys: %w", err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "%s %s\n", id, hex.EncodeToString(key))
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("identity keys: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("identity keys: %w", err)
	}
	return f.Close()
}

// NewestID is the ID of the key that seals new identities.
func (k *Keyring) NewestID() string { return k.ids[len(k.ids)-1] }

// IDs lists the key IDs, oldest first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// Sealed is an encrypted identity as stored: the key ID, the wrapped DEK
// and the identity ciphertext (each base64 of nonce‖ciphertext).
type Sealed struct {
	KeyID      string
	WrappedDEK string
	Ciphertext string
}

// ErrUnknownKey: the sealed identity names a key the ring does not hold.
var ErrUnknownKey = errors.New("identity keys: sealed with a key that is not configured")

// Seal encrypts plaintext for the object named by aad (e.g. "tip:<id>"),
// binding the ciphertext to it: a sealed identity copied to another tip does
// not open.
func (k *Keyring) Seal(plaintext []byte, aad string) (Sealed, error) {
	dek := make([]byte, 32)
	if _, err := rand.Read(dek); err != nil {
		return Sealed{}, err
	}
	ct, err := gcmSeal(dek, plaintext, []byte("identity|"+aad))
	if err != nil {
		return Sealed{}, err
	}
	id := k.NewestID()
	wrapped, err := gcmSeal(k.keys[id], dek, []byte("dek|"+id+"|"+aad))
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{KeyID: id, WrappedDEK: wrapped, Ciphertext: ct}, nil
}

// Open decrypts s for aad. Errors: ErrUnknownKey, or an authentication
// failure when the stored values were altered or belong to another object.
func (k *Keyring) Open(s Sealed, aad string) ([]byte, error) {
	dek, err := k.unwrap(s, aad)
	if err != nil {
		return nil, err
	}
	return gcmOpen(dek, s.Ciphertext, []byte("identity|"+aad))
}

// Rewrap returns s with its DEK wrapped by the newest key (s unchanged when
// it already is).
func (k *Keyring) Rewrap(s Sealed, aad string) (Sealed, error) {
	if s.KeyID == k.NewestID() {
		return s, nil
	}
	dek, err := k.unwrap(s, aad)
	if err != nil {
		return s, err
	}
	id := k.NewestID()
	wrapped, err := gcmSeal(k.keys[id], dek, []byte("dek|"+id+"|"+aad))
	if err != nil {
		return s, err
	}
	return Sealed{KeyID: id, WrappedDEK: wrapped, Ciphertext: s.Ciphertext}, nil
}

func (k *Keyring) unwrap(s Sealed, aad string) ([]byte, error) {
	mk, ok := k.keys[s.KeyID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, s.KeyID)
	}
	return gcmOpen(mk, s.WrappedDEK, []byte("dek|"+s.KeyID+"|"+aad))
}

func gcmSeal(key, plaintext, aad []byte) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(g.Seal(nonce, nonce, plaintext, aad)), nil
}

func gcmOpen(key []byte, b64 string, aad []byte) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("identity: stored value is not base64: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(b) < g.NonceSize()+g.Overhead() {
		return nil, errors.New("identity: stored value too short")
	}
	out, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("identity: cannot decrypt (altered, or another object's): %w", err)
	}
	return out, nil
}

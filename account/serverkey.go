package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"open110/platform/db"
)

// ErrSecretMismatch: this node's server secret is not the one the database
// was first used with.
var ErrSecretMismatch = errors.New("the server secret (--secret or <data>/secret.key) differs from the one this database was set up with: " +
	"every node must use the same secret, and a lost secret cannot be replaced (stored emergency profiles and pending codes depend on it)")

// CheckSecret records the fingerprint of the server secret the first time
// and, on every later start, checks this node's secret against it. The
// fingerprint is an HMAC of a fixed label, so it says nothing about the
// secret itself.
func (s *Service) CheckSecret(ctx context.Context) error {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("open110 server secret fingerprint"))
	fp := hex.EncodeToString(m.Sum(nil))
	if _, err := s.db.Exec(ctx, `INSERT INTO server_key (id, fingerprint, created_at) VALUES (1, $1, $2)
		ON CONFLICT (id) DO NOTHING`, fp, db.Micros(s.now())); err != nil {
		return fmt.Errorf("account: record the server key fingerprint: %w", err)
	}
	var have string
	if err := s.db.QueryRow(ctx, "SELECT fingerprint FROM server_key WHERE id = 1").Scan(&have); err != nil {
		return fmt.Errorf("account: read the server key fingerprint: %w", err)
	}
	if !hmac.Equal([]byte(have), []byte(fp)) {
		return ErrSecretMismatch
	}
	return nil
}

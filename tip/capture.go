package tip

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/db"
)

// CaptureToken is a server nonce the app asks for before it captures. It
// is bound to the citizen, valid from IssuedAt to ExpiresAt, and good for
// one upload.
type CaptureToken struct {
	Token     string    `json:"token"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssueToken returns a fresh capture token for the citizen p. Only its
// SHA-256 is stored.
func (s *Service) IssueToken(ctx context.Context, p account.Principal) (CaptureToken, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return CaptureToken{}, internal("token", err)
	}
	tok := "ct_" + base64.RawURLEncoding.EncodeToString(raw[:])
	now := s.clock()
	ct := CaptureToken{Token: tok, IssuedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	_, err := s.db.Exec(ctx, "INSERT INTO tip_capture_tokens (id, owner_ref, issued_at, expires_at) VALUES ($1, $2, $3, $4)",
		tokenID(tok), s.ownerRef(p), db.Micros(ct.IssuedAt), db.Micros(ct.ExpiresAt))
	if err != nil {
		return CaptureToken{}, internal("store token", err)
	}
	// Old tokens are worthless; drop them now and then so the table stays small.
	_, _ = s.db.Exec(ctx, "DELETE FROM tip_capture_tokens WHERE expires_at < $1", db.Micros(now.Add(-24*time.Hour)))
	return ct, nil
}

func tokenID(tok string) string { return sha256Hex([]byte("open110 capture token|" + tok)) }

// Upload is one captured photo, video or recording as the app sends it.
type Upload struct {
	Token         string    // the capture token
	CapturedAt    time.Time // when the app captured it (phone clock)
	Position      Position  // where
	ClientSHA256  string    // the app's SHA-256 of the bytes
	ContentType   string    // declared; checked against the content, never trusted
	ContentLength int64     // -1 when unknown
	Body          io.Reader
}

// Attestation is the server's record of a capture: what it checked and
// what it saw. Its SHA-256 goes into the audit chain; exports carry the
// exact JSON text so anyone can recompute it.
type Attestation struct {
	Version        int       `json:"v"`
	MediaID        string    `json:"media_id"`
	SHA256         string    `json:"sha256"`
	Size           int64     `json:"size"`
	MIME           string    `json:"mime"`
	Kind           MediaKind `json:"kind"`
	CapturedAt     string    `json:"captured_at"`
	Position       Position  `json:"position"`
	TokenID        string    `json:"token_id"`
	TokenIssuedAt  string    `json:"token_issued_at"`
	TokenExpiresAt string    `json:"token_expires_at"`
	UploadedAt     string    `json:"uploaded_at"`
	ClientSHA256   string    `json:"client_sha256"`
	Checks         []string  `json:"checks"`
}

// attestationChecks names what the server verified, in the record.
var attestationChecks = []string{
	"token_fresh_single_use_owner", "capture_time_in_token_window", "position_plausible",
	"sha256_recomputed_matches_client", "type_sniffed_from_content", "size_within_limit",
}

const tsLayout = "2006-01-02T15:04:05.000000Z"

// UploadCapture checks and stores one capture for the citizen p and returns
// its media record, not yet attached to a tip (Submit attaches it).
// Errors: capture_token_required, capture_token_invalid (unknown or another
// user's), capture_token_expired, capture_token_used,
// capture_time_outside_window, capture_position_implausible,
// hash_required, media_too_large, media_empty, unsupported_media,
// media_type_mismatch, hash_mismatch. On any error nothing is stored and
// the token stays unused.
func (s *Service) UploadCapture(ctx context.Context, p account.Principal, up Upload) (Media, error) {
	owner := s.ownerRef(p)
	if up.Token == "" {
		return Media{}, ErrTokenMissing
	}
	tid := tokenID(up.Token)
	var tokOwner string
	var issuedUS, expiresUS, usedUS int64
	err := s.db.QueryRow(ctx, "SELECT owner_ref, issued_at, expires_at, used_at FROM tip_capture_tokens WHERE id = $1", tid).
		Scan(&tokOwner, &issuedUS, &expiresUS, &usedUS)
	if errors.Is(err, sql.ErrNoRows) {
		return Media{}, ErrTokenInvalid
	}
	if err != nil {
		return Media{}, internal("read token", err)
	}
	now := s.clock()
	issued, expires := db.Time(issuedUS), db.Time(expiresUS)
	switch {
	case tokOwner != owner:
		return Media{}, ErrTokenInvalid
	case usedUS != 0:
		return Media{}, ErrTokenUsed
	case now.After(expires.Add(s.cfg.UploadGrace)):
		return Media{}, ErrTokenExpired
	}
	capAt := up.CapturedAt.UTC().Truncate(time.Microsecond)
	if capAt.IsZero() || capAt.Before(issued.Add(-s.cfg.ClockSkew)) || capAt.After(expires.Add(s.cfg.ClockSkew)) || capAt.After(now.Add(s.cfg.ClockSkew)) {
		return Media{}, ErrCaptureTime.With("token_issued_at", issued).With("token_expires_at", expires)
	}
	if !validPosition(up.Position) || !inChina(up.Position) || up.Position.AccuracyM > 5000 {
		return Media{}, ErrCapturePosition
	}
	client := strings.ToLower(strings.TrimSpace(up.ClientSHA256))
	if len(client) != 64 || strings.Trim(client, "0123456789abcdef") != "" {
		return Media{}, ErrHashRequired
	}
	if up.ContentLength > s.cfg.maxAny() {
		return Media{}, ErrMediaTooLarge.With("limit_bytes", s.cfg.maxAny())
	}

	// Spool to a temporary file while hashing, then check before anything
	// reaches the evidence store.
	tmp, err := os.CreateTemp(s.cfg.TempDir, "open110-tip-*")
	if err != nil {
		return Media{}, internal("spool", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	head := &headBuffer{max: SniffLen}
	n, err := io.Copy(io.MultiWriter(tmp, h, head), io.LimitReader(up.Body, s.cfg.maxAny()+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Media{}, ErrMediaTooLarge.With("limit_bytes", s.cfg.maxAny())
		}
		return Media{}, apperr.New(apperr.Invalid, "upload_interrupted", "the upload was interrupted").Wrap(err)
	}
	if n > s.cfg.maxAny() {
		return Media{}, ErrMediaTooLarge.With("limit_bytes", s.cfg.maxAny())
	}
	if n == 0 {
		return Media{}, ErrMediaEmpty
	}
	sniffed, ok := Sniff(head.b)
	if !ok {
		return Media{}, ErrMediaType
	}
	format, ok := Resolve(sniffed, up.ContentType)
	if !ok {
		return Media{}, ErrMediaTypeMismatch.With("detected", sniffed.MIME)
	}
	if limit := s.cfg.maxFor(format.Kind); n > limit {
		return Media{}, ErrMediaTooLarge.With("limit_bytes", limit)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if sum != client {
		return Media{}, ErrHashMismatch
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Media{}, internal("spool", err)
	}
	obj, err := s.blob.Put(ctx, tmp)
	if err != nil {
		return Media{}, internal("store media", err)
	}
	if obj.SHA256 != sum {
		return Media{}, internal("store media", fmt.Errorf("store hashed %s, we hashed %s", obj.SHA256, sum))
	}

	m := Media{
		ID: account.NewID("tm"), Kind: format.Kind, MIME: format.MIME, SHA256: sum, Size: n,
		CapturedAt: capAt, Position: up.Position, UploadedAt: now, ownerRef: owner,
	}
	att := Attestation{
		Version: 1, MediaID: m.ID, SHA256: sum, Size: n, MIME: m.MIME, Kind: m.Kind,
		CapturedAt: capAt.Format(tsLayout), Position: up.Position, TokenID: tid,
		TokenIssuedAt: issued.Format(tsLayout), TokenExpiresAt: expires.Format(tsLayout),
		UploadedAt: now.Format(tsLayout), ClientSHA256: client, Checks: attestationChecks,
	}
	attJSON, err := json.Marshal(att)
	if err != nil {
		return Media{}, internal("attestation", err)
	}
	m.attestation = string(attJSON)
	m.AttestationHash = sha256Hex(attJSON)

	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE tip_capture_tokens SET used_at = $2 WHERE id = $1 AND used_at = 0", tid, db.Micros(now))
		if err != nil {
			return internal("use token", err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return ErrTokenUsed
		}
		e, err := s.audit.AppendTx(ctx, tx, audit.Entry{
			Actor: tipsterActor, Action: "tip.capture.attest", Object: "tip-media:" + m.ID,
			Detail: map[string]any{"attestation_hash": m.AttestationHash, "sha256": sum, "mime": m.MIME, "size": n},
		})
		if err != nil {
			return err
		}
		m.AuditSeq = e.Seq
		_, err = tx.Exec(ctx, `INSERT INTO tip_media (id, owner_ref, kind, mime, sha256, size, captured_at, lat, lng, accuracy_m,
			token_id, uploaded_at, attestation, attestation_hash, audit_seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			m.ID, owner, string(m.Kind), m.MIME, sum, n, db.Micros(capAt), up.Position.Lat, up.Position.Lng, up.Position.AccuracyM,
			tid, db.Micros(now), m.attestation, m.AttestationHash, m.AuditSeq)
		if db.IsUniqueViolation(err) {
			return ErrTokenUsed
		}
		if err != nil {
			return internal("store attestation", err)
		}
		return nil
	})
	if err != nil {
		return Media{}, err
	}
	return m, nil
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

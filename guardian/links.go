package guardian

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"open110/account"
	"open110/platform/db"
	"open110/platform/ids"
	"open110/platform/sms"
)

const linkCols = "id, state, is_default, label, owner_id, owner_phone, guardian_phone, guardian_id, created_at, updated_at"

func scanLink(sc interface{ Scan(...any) error }) (Link, error) {
	var l Link
	var def int
	var created, updated int64
	if err := sc.Scan(&l.ID, &l.State, &def, &l.Label, &l.OwnerID, &l.Owner, &l.Guardian, &l.GuardianI, &created, &updated); err != nil {
		return l, err
	}
	l.Default, l.CreatedAt, l.UpdatedAt = def == 1, db.Time(created), db.Time(updated)
	return l, nil
}

func cleanText(s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxText || strings.ContainsAny(s, "\x00\r") {
		return "", ErrInvalidNote
	}
	return s, nil
}

// Invite asks the registered citizen with phone to guard p. label is p's
// name for them ("妈妈"). Inviting someone who declined or was revoked
// invites them afresh. Errors: invalid_phone, not_registered, self_invite,
// already_linked, too_many_guardians, invalid_note (label).
func (s *Service) Invite(ctx context.Context, p account.Principal, phone, label string, asDefault bool) (Link, error) {
	if !p.IsCitizen() {
		return Link{}, ErrCitizensOnly
	}
	norm, err := sms.NormalizePhone(phone)
	if err != nil {
		return Link{}, err
	}
	if label, err = cleanText(label); err != nil {
		return Link{}, err
	}
	gid, err := s.citizens.CitizenByPhone(ctx, norm)
	if err != nil {
		return Link{}, err
	}
	if gid == p.ID {
		return Link{}, ErrSelfInvite
	}
	now := s.now()
	var out Link
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n, defaults int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(is_default), 0) FROM guardian_links
			WHERE owner_id = $1 AND state IN ('pending', 'accepted')`, p.ID).Scan(&n, &defaults); err != nil {
			return fmt.Errorf("guardian: count links: %w", err)
		}
		if n >= MaxLinks {
			return ErrTooManyLinks
		}
		if asDefault && defaults >= MaxDefaults {
			return ErrTooManyDefaults
		}
		l, err := scanLink(tx.QueryRow(ctx, "SELECT "+linkCols+" FROM guardian_links WHERE owner_id = $1 AND guardian_id = $2", p.ID, gid))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			l = Link{ID: ids.New("gl", now), OwnerID: p.ID, Owner: p.Phone, GuardianI: gid, Guardian: norm, CreatedAt: now}
			if _, err := tx.Exec(ctx, `INSERT INTO guardian_links (id, owner_id, owner_phone, guardian_id, guardian_phone, label, state, is_default, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)`, l.ID, p.ID, p.Phone, gid, norm, label, db.Bool(asDefault), db.Micros(now)); err != nil {
				return fmt.Errorf("guardian: insert link: %w", err)
			}
		case err != nil:
			return fmt.Errorf("guardian: read link: %w", err)
		case l.State == LinkPending || l.State == LinkAccepted:
			return ErrAlreadyLinked
		default:
			if _, err := tx.Exec(ctx, `UPDATE guardian_links SET state = 'pending', label = $2, is_default = $3, owner_phone = $4,
				guardian_phone = $5, updated_at = $6 WHERE id = $1`, l.ID, label, db.Bool(asDefault), p.Phone, norm, db.Micros(now)); err != nil {
				return fmt.Errorf("guardian: re-invite: %w", err)
			}
		}
		l.State, l.Label, l.Default, l.UpdatedAt = LinkPending, label, asDefault, now
		out = l
		return nil
	})
	if err != nil {
		return Link{}, err
	}
	s.notify(ctx, norm, "【公安110】"+maskPhone(p.Phone)+"邀请您成为TA的出行守护人，请打开公安110 App「亲友互助」查看。")
	return out, nil
}

// ListLinks returns p's guardians, the people p guards and invitations
// waiting for p.
func (s *Service) ListLinks(ctx context.Context, p account.Principal) (Links, error) {
	if !p.IsCitizen() {
		return Links{}, ErrCitizensOnly
	}
	out := Links{Guardians: []Link{}, Guarding: []Link{}, Invites: []Link{}}
	rows, err := s.db.Query(ctx, "SELECT "+linkCols+` FROM guardian_links
		WHERE (owner_id = $1 AND state IN ('pending', 'accepted')) OR (guardian_id = $1 AND state IN ('pending', 'accepted'))
		ORDER BY created_at`, p.ID)
	if err != nil {
		return out, fmt.Errorf("guardian: list links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return out, fmt.Errorf("guardian: scan link: %w", err)
		}
		switch {
		case l.OwnerID == p.ID:
			out.Guardians = append(out.Guardians, l)
		case l.State == LinkPending:
			l.Label, l.Default = "", false // the owner's private label and choice
			out.Invites = append(out.Invites, l)
		default:
			l.Label, l.Default = "", false
			out.Guarding = append(out.Guarding, l)
		}
	}
	return out, rows.Err()
}

// Respond accepts or declines an invitation to guard. Errors:
// guardian_link_not_found (not an invitation to p), invalid_link_state
// (already answered).
func (s *Service) Respond(ctx context.Context, p account.Principal, linkID string, accept bool) (Link, error) {
	if !p.IsCitizen() {
		return Link{}, ErrCitizensOnly
	}
	state := LinkDeclined
	if accept {
		state = LinkAccepted
	}
	var out Link
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		l, err := scanLink(tx.QueryRow(ctx, "SELECT "+linkCols+" FROM guardian_links WHERE id = $1 AND guardian_id = $2", linkID, p.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLinkNotFound
		}
		if err != nil {
			return fmt.Errorf("guardian: read link: %w", err)
		}
		if l.State != LinkPending {
			if l.State == state {
				out = l
				return nil // answering twice the same way is not an error
			}
			return ErrLinkState
		}
		now := s.now()
		if _, err := tx.Exec(ctx, "UPDATE guardian_links SET state = $2, updated_at = $3 WHERE id = $1", linkID, state, db.Micros(now)); err != nil {
			return fmt.Errorf("guardian: respond: %w", err)
		}
		l.State, l.UpdatedAt = state, now
		out = l
		return nil
	})
	out.Label, out.Default = "", false
	return out, err
}

// Revoke ends a link; either side may. A revoked guardian loses access to
// every trip of the owner at once, including one in progress (its live
// view is closed). Errors: guardian_link_not_found.
func (s *Service) Revoke(ctx context.Context, p account.Principal, linkID string) error {
	if !p.IsCitizen() {
		return ErrCitizensOnly
	}
	var woken []struct {
		id  string
		rev int64
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		l, err := scanLink(tx.QueryRow(ctx, "SELECT "+linkCols+" FROM guardian_links WHERE id = $1 AND (owner_id = $2 OR guardian_id = $2)", linkID, p.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLinkNotFound
		}
		if err != nil {
			return fmt.Errorf("guardian: read link: %w", err)
		}
		if l.State == LinkRevoked || l.State == LinkDeclined {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE guardian_links SET state = 'revoked', is_default = 0, updated_at = $2 WHERE id = $1", linkID, db.Micros(s.now())); err != nil {
			return fmt.Errorf("guardian: revoke: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT trip_id FROM trip_guardians WHERE link_id = $1", linkID)
		if err != nil {
			return fmt.Errorf("guardian: revoke trips: %w", err)
		}
		var trips []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("guardian: revoke trips: %w", err)
			}
			trips = append(trips, id)
		}
		rows.Close()
		if _, err := tx.Exec(ctx, "DELETE FROM trip_guardians WHERE link_id = $1", linkID); err != nil {
			return fmt.Errorf("guardian: revoke trips: %w", err)
		}
		for _, id := range trips {
			rev, err := s.addEvent(ctx, tx, id, "guardian_removed", audienceAll, p.Actor(), map[string]any{"guardian_id": l.GuardianI})
			if err != nil {
				return err
			}
			woken = append(woken, struct {
				id  string
				rev int64
			}{id, rev})
		}
		return nil
	})
	for _, w := range woken {
		s.wake(ctx, w.id, w.rev)
	}
	return err
}

// ownLink answers, before a request's body is read, whether linkID is one
// of p's links SetDefault may change: guardian_link_not_found otherwise.
func (s *Service) ownLink(ctx context.Context, p account.Principal, linkID string) error {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM guardian_links WHERE id = $1 AND owner_id = $2 AND state IN ('pending', 'accepted')",
		linkID, p.ID).Scan(&n)
	if err != nil {
		return fmt.Errorf("guardian: read link: %w", err)
	}
	if n == 0 {
		return ErrLinkNotFound
	}
	return nil
}

// SetDefault marks an accepted or pending guardian as a default for new
// trips (at most MaxDefaults), or unmarks it. Errors:
// guardian_link_not_found, too_many_defaults.
func (s *Service) SetDefault(ctx context.Context, p account.Principal, linkID string, def bool) (Link, error) {
	if !p.IsCitizen() {
		return Link{}, ErrCitizensOnly
	}
	var out Link
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		l, err := scanLink(tx.QueryRow(ctx, "SELECT "+linkCols+" FROM guardian_links WHERE id = $1 AND owner_id = $2 AND state IN ('pending', 'accepted')", linkID, p.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLinkNotFound
		}
		if err != nil {
			return fmt.Errorf("guardian: read link: %w", err)
		}
		if def && !l.Default {
			var n int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM guardian_links WHERE owner_id = $1 AND is_default = 1 AND state IN ('pending', 'accepted')", p.ID).Scan(&n); err != nil {
				return fmt.Errorf("guardian: count defaults: %w", err)
			}
			if n >= MaxDefaults {
				return ErrTooManyDefaults
			}
		}
		now := s.now()
		if _, err := tx.Exec(ctx, "UPDATE guardian_links SET is_default = $2, updated_at = $3 WHERE id = $1", linkID, db.Bool(def), db.Micros(now)); err != nil {
			return fmt.Errorf("guardian: set default: %w", err)
		}
		l.Default, l.UpdatedAt = def, now
		out = l
		return nil
	})
	return out, err
}

// PIN hashing: argon2id (RFC 9106's second recommended setting, scaled
// down: a PIN check runs on every trip end, so keep it around 10 ms). A
// 4-8 digit PIN has little entropy; the salt and the cost stop a stolen
// table from being a lookup list.
const (
	pinTime    = 1
	pinMemory  = 16 * 1024
	pinThreads = 1
	pinKeyLen  = 32
)

func hashPIN(pin string, salt []byte) []byte {
	return argon2.IDKey([]byte(pin), salt, pinTime, pinMemory, pinThreads, pinKeyLen)
}

func validPIN(pin string) bool {
	if len(pin) < 4 || len(pin) > 8 {
		return false
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

// SetDuressPIN stores p's duress PIN (4-8 digits), hashed. Entering it to
// end a trip ends the trip exactly like "arrived safely" on screen, and
// raises a silent alarm. Errors: invalid_pin.
func (s *Service) SetDuressPIN(ctx context.Context, p account.Principal, pin string) error {
	if !p.IsCitizen() {
		return ErrCitizensOnly
	}
	if !validPIN(pin) {
		return ErrInvalidPIN
	}
	salt := make([]byte, 16)
	if _, err := randRead(salt); err != nil {
		return err
	}
	h := hashPIN(pin, salt)
	_, err := s.db.Exec(ctx, `INSERT INTO guardian_pins (owner_id, salt, hash, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (owner_id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, updated_at = excluded.updated_at`,
		p.ID, hex.EncodeToString(salt), hex.EncodeToString(h), db.Micros(s.now()))
	if err != nil {
		return fmt.Errorf("guardian: set pin: %w", err)
	}
	return nil
}

// ClearDuressPIN removes p's duress PIN.
func (s *Service) ClearDuressPIN(ctx context.Context, p account.Principal) error {
	if !p.IsCitizen() {
		return ErrCitizensOnly
	}
	if _, err := s.db.Exec(ctx, "DELETE FROM guardian_pins WHERE owner_id = $1", p.ID); err != nil {
		return fmt.Errorf("guardian: clear pin: %w", err)
	}
	return nil
}

// HasDuressPIN reports whether p has set a duress PIN (the app then asks
// for a PIN at every trip end, so both ends look the same).
func (s *Service) HasDuressPIN(ctx context.Context, p account.Principal) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM guardian_pins WHERE owner_id = $1", p.ID).Scan(&n); err != nil {
		return false, fmt.Errorf("guardian: read pin: %w", err)
	}
	return n > 0, nil
}

// isDuress checks pin against the owner's duress PIN in constant time. The
// hash is computed whenever a PIN was given, matching or not, so the time
// taken does not tell the two apart.
func isDuress(ctx context.Context, q db.Querier, ownerID, pin string) (bool, error) {
	if pin == "" {
		return false, nil
	}
	var saltHex, hashHex string
	err := q.QueryRow(ctx, "SELECT salt, hash FROM guardian_pins WHERE owner_id = $1", ownerID).Scan(&saltHex, &hashHex)
	if errors.Is(err, sql.ErrNoRows) {
		saltHex, hashHex = strings.Repeat("00", 16), strings.Repeat("00", pinKeyLen)
	} else if err != nil {
		return false, fmt.Errorf("guardian: read pin: %w", err)
	}
	salt, _ := hex.DecodeString(saltHex)
	want, _ := hex.DecodeString(hashHex)
	got := hashPIN(pin, salt)
	match := subtle.ConstantTimeCompare(got, want) == 1
	return match && !errors.Is(err, sql.ErrNoRows), nil
}

func maskPhone(p string) string {
	if len(p) < 8 {
		return "***"
	}
	return p[:len(p)-8] + "****" + p[len(p)-4:]
}

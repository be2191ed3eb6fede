package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"open110/platform/apperr"
	"open110/platform/db"
)

// Administrative changes to centres, officers and citizens. Every method
// takes the Querier to run on so the caller can commit the change together
// with its audit entry (audit.AppendTx) in one transaction; none of them
// audits by itself.

// Errors of administrative changes.
var (
	ErrOfficerNotFound = apperr.New(apperr.NotFound, "officer_not_found", "no such officer")
	ErrCitizenNotFound = apperr.New(apperr.NotFound, "citizen_not_found", "no such citizen")
	ErrCenterNotCounty = apperr.New(apperr.Invalid, "center_not_county", "only a county decides whether it runs its own centre; the province and cities always do")
	ErrCenterInactive  = apperr.New(apperr.Conflict, "center_inactive", "that unit does not run its own 110 centre")
)

// SetCenterActive says whether a county runs its own 110 centre. The
// province and cities always do (center_not_county). Turning a county off
// leaves its officers as they are: new alarms there go to the city, and the
// administrator moves or disables them (the admin API says how many are
// left). Errors also: unknown_center.
func (s *Service) SetCenterActive(ctx context.Context, q db.Querier, code string, active bool) error {
	var level string
	err := q.QueryRow(ctx, "SELECT level FROM centers WHERE code = $1", code).Scan(&level)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrUnknownCenter
	}
	if err != nil {
		return fmt.Errorf("account: read centre: %w", err)
	}
	if level != "county" {
		return ErrCenterNotCounty
	}
	if _, err := q.Exec(ctx, "UPDATE centers SET active = $2, updated_at = $3 WHERE code = $1", code, db.Bool(active), db.Micros(s.now())); err != nil {
		return fmt.Errorf("account: set centre active: %w", err)
	}
	return nil
}

// officerID returns the id of username inside q. Errors: officer_not_found.
func officerID(ctx context.Context, q db.Querier, username string) (string, error) {
	var id string
	err := q.QueryRow(ctx, "SELECT id FROM officers WHERE username = $1", username).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrOfficerNotFound
	}
	if err != nil {
		return "", fmt.Errorf("account: read officer: %w", err)
	}
	return id, nil
}

// SetOfficerDisabled disables or re-enables an officer. Disabling revokes
// every session at once. Errors: officer_not_found.
func (s *Service) SetOfficerDisabled(ctx context.Context, q db.Querier, username string, disabled bool) error {
	id, err := officerID(ctx, q, username)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE officers SET disabled = $2, failed_count = 0, locked_until = 0 WHERE id = $1", id, db.Bool(disabled)); err != nil {
		return fmt.Errorf("account: disable officer: %w", err)
	}
	if disabled {
		return s.RevokeAll(ctx, q, Officer, id)
	}
	return nil
}

// ResetPassword sets a new password, clears any lock-out and revokes every
// session. Errors: officer_not_found, weak_password.
func (s *Service) ResetPassword(ctx context.Context, q db.Querier, username, password string) error {
	if len([]rune(password)) < 10 {
		return ErrWeakPassword
	}
	id, err := officerID(ctx, q, username)
	if err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE officers SET password_hash = $2, failed_count = 0, locked_until = 0 WHERE id = $1", id, hash); err != nil {
		return fmt.Errorf("account: reset password: %w", err)
	}
	return s.RevokeAll(ctx, q, Officer, id)
}

// SetRole changes an officer's role; it applies to their next request
// (sessions read the officer on every request). Errors: officer_not_found,
// invalid_role.
func (s *Service) SetRole(ctx context.Context, q db.Querier, username string, role Role) error {
	if !slices.Contains(Roles, role) {
		return ErrInvalidRole
	}
	id, err := officerID(ctx, q, username)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE officers SET role = $2 WHERE id = $1", id, string(role)); err != nil {
		return fmt.Errorf("account: set role: %w", err)
	}
	return nil
}

// MoveOfficer moves an officer to another centre, which must run its own
// 110 centre. Errors: officer_not_found, unknown_center, center_inactive.
func (s *Service) MoveOfficer(ctx context.Context, q db.Querier, username, center string) error {
	var active int
	err := q.QueryRow(ctx, "SELECT active FROM centers WHERE code = $1", center).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrUnknownCenter
	}
	if err != nil {
		return fmt.Errorf("account: read centre: %w", err)
	}
	if active != 1 {
		return ErrCenterInactive
	}
	id, err := officerID(ctx, q, username)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE officers SET center_code = $2 WHERE id = $1", id, center); err != nil {
		return fmt.Errorf("account: move officer: %w", err)
	}
	return nil
}

// SetOfficerName changes an officer's display name (1–64 characters).
// Errors: officer_not_found, invalid_name.
func (s *Service) SetOfficerName(ctx context.Context, q db.Querier, username, name string) error {
	if n := len([]rune(name)); n == 0 || n > 64 {
		return apperr.New(apperr.Invalid, "invalid_name", "name must be 1–64 characters")
	}
	id, err := officerID(ctx, q, username)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE officers SET name = $2 WHERE id = $1", id, name); err != nil {
		return fmt.Errorf("account: set name: %w", err)
	}
	return nil
}

// ResetTOTP removes an officer's authenticator (lost phone); they sign in
// with the password alone until one is enrolled again (roles that require
// TOTP cannot sign in until then). Errors: officer_not_found.
func (s *Service) ResetTOTP(ctx context.Context, q db.Querier, username string) error {
	id, err := officerID(ctx, q, username)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, "UPDATE officers SET totp_secret = '', totp_enabled = 0, totp_last_step = 0 WHERE id = $1", id); err != nil {
		return fmt.Errorf("account: reset totp: %w", err)
	}
	return s.RevokeAll(ctx, q, Officer, id)
}

// OfficerIDOf returns the id of username. Errors: officer_not_found.
func (s *Service) OfficerIDOf(ctx context.Context, username string) (string, error) {
	return officerID(ctx, s.db, username)
}

// CitizenRecord is what the platform keeps about a citizen's account.
type CitizenRecord struct {
	ID        string    `json:"id"`
	Phone     string    `json:"phone"`
	CreatedAt time.Time `json:"created_at"`
	LastLogin time.Time `json:"last_login"`
}

// Citizen returns a (not deleted) citizen's account record. Errors:
// citizen_not_found.
func (s *Service) Citizen(ctx context.Context, id string) (CitizenRecord, error) {
	var c CitizenRecord
	var created, last, deleted int64
	err := s.db.QueryRow(ctx, "SELECT id, phone, created_at, last_login, deleted_at FROM citizens WHERE id = $1", id).
		Scan(&c.ID, &c.Phone, &created, &last, &deleted)
	if errors.Is(err, sql.ErrNoRows) || deleted != 0 {
		return CitizenRecord{}, ErrCitizenNotFound
	}
	if err != nil {
		return CitizenRecord{}, fmt.Errorf("account: read citizen: %w", err)
	}
	c.CreatedAt, c.LastLogin = db.Time(created), db.Time(last)
	return c, nil
}

// DeleteCitizen closes a citizen's account: every session is revoked, the
// phone number is removed with its sign-in code row (the number may
// register afresh as a new citizen) and the row keeps only its id and the deletion time, so records
// other features must keep (open cases, evidence) still name an id that
// resolves to "deleted". Errors: citizen_not_found.
func (s *Service) DeleteCitizen(ctx context.Context, q db.Querier, id string) error {
	var phone string
	err := q.QueryRow(ctx, "SELECT phone FROM citizens WHERE id = $1 AND deleted_at = 0", id).Scan(&phone)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrCitizenNotFound
	}
	if err != nil {
		return fmt.Errorf("account: read citizen: %w", err)
	}
	// The code row names the phone too; it goes with the account.
	if _, err := q.Exec(ctx, "DELETE FROM otp_codes WHERE phone = $1", phone); err != nil {
		return fmt.Errorf("account: delete citizen codes: %w", err)
	}
	res, err := q.Exec(ctx, "UPDATE citizens SET phone = $2, deleted_at = $3, last_login = 0 WHERE id = $1 AND deleted_at = 0",
		id, "deleted:"+id, db.Micros(s.now()))
	if err != nil {
		return fmt.Errorf("account: delete citizen: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrCitizenNotFound
	}
	if _, err := q.Exec(ctx, "DELETE FROM sessions WHERE kind = $1 AND subject_id = $2", string(Citizen), id); err != nil {
		return fmt.Errorf("account: delete citizen sessions: %w", err)
	}
	return nil
}

// Purged counts what PurgeExpired removed.
type Purged struct {
	OTPCodes int64 `json:"otp_codes"`
	Sessions int64 `json:"sessions"`
}

// PurgeExpired deletes sign-in codes that expired more than a day ago (the
// row also holds the phone's daily counter, which a day later no longer
// matters) and sessions that expired or were revoked more than keep ago
// (the audit log, not the session table, is the record of sign-ins).
func (s *Service) PurgeExpired(ctx context.Context, q db.Querier, keep time.Duration) (Purged, error) {
	now := s.now()
	var p Purged
	res, err := q.Exec(ctx, "DELETE FROM otp_codes WHERE expires_at < $1", db.Micros(now.Add(-24*time.Hour)))
	if err != nil {
		return p, fmt.Errorf("account: purge codes: %w", err)
	}
	p.OTPCodes, _ = res.RowsAffected()
	cut := db.Micros(now.Add(-keep))
	res, err = q.Exec(ctx, "DELETE FROM sessions WHERE expires_at < $1 OR (revoked_at <> 0 AND revoked_at < $1)", cut)
	if err != nil {
		return p, fmt.Errorf("account: purge sessions: %w", err)
	}
	p.Sessions, _ = res.RowsAffected()
	return p, nil
}

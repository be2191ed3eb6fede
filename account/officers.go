package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"open110/platform/apperr"
	"open110/platform/db"
)

// OfficerAccount is a police account as administrators see it (never the hash or
// TOTP secret).
type OfficerAccount struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	Name        string    `json:"name"`
	Role        Role      `json:"role"`
	Center      string    `json:"center"`
	TOTPEnabled bool      `json:"totp_enabled"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
}

type officer struct {
	OfficerAccount
	totpSecret   string
	totpEnabled  bool
	totpLastStep int64
	disabled     bool
	failedCount  int
	lockedUntil  time.Time
}

func (o officer) principal() Principal {
	return Principal{Kind: Officer, ID: o.ID, Username: o.Username, Name: o.Name, Role: o.Role, Center: o.Center}
}

const officerCols = "id, username, name, role, center_code, password_hash, totp_secret, totp_enabled, totp_last_step, disabled, failed_count, locked_until, created_at"

func (s *Service) officerByUsername(ctx context.Context, username string) (officer, string, error) {
	return s.officerBy(ctx, "username", username)
}

// officerBy reads an officer by id or username; a missing officer is
// ErrInvalidCredentials (callers translate as they need).
func (s *Service) officerBy(ctx context.Context, col, v string) (officer, string, error) {
	var o officer
	var hash string
	var totpEnabled, disabled int
	var locked, created int64
	err := s.db.QueryRow(ctx, "SELECT "+officerCols+" FROM officers WHERE "+col+" = $1", v).Scan(
		&o.ID, &o.Username, &o.Name, &o.Role, &o.Center, &hash, &o.totpSecret, &totpEnabled, &o.totpLastStep,
		&disabled, &o.failedCount, &locked, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return o, "", ErrInvalidCredentials
	}
	if err != nil {
		return o, "", fmt.Errorf("account: read officer: %w", err)
	}
	o.totpEnabled, o.disabled = totpEnabled == 1, disabled == 1
	o.TOTPEnabled, o.Disabled = o.totpEnabled, o.disabled
	o.lockedUntil, o.CreatedAt = db.Time(locked), db.Time(created)
	return o, hash, nil
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// Validation errors for officers.
var (
	ErrInvalidUsername = apperr.New(apperr.Invalid, "invalid_username", "username: 2–32 lowercase letters, digits, '.', '_' or '-'")
	ErrInvalidRole     = apperr.New(apperr.Invalid, "invalid_role", "role must be dispatcher, handler, supervisor or admin")
	ErrWeakPassword    = apperr.New(apperr.Invalid, "weak_password", "password must be at least 10 characters")
	ErrUsernameTaken   = apperr.New(apperr.Conflict, "username_taken", "that username is taken")
)

// NewOfficer is the input to CreateOfficer.
type NewOfficer struct {
	Username string
	Name     string
	Role     Role
	Center   string
	Password string // plain; hashed here
	hash     string // preset hash (demo: hashed once for hundreds of accounts)
	ifAbsent bool   // leave an existing account as it is (demo seeding on restart)
}

// CreateOfficer adds an officer. Errors: invalid_username, invalid_role,
// weak_password, unknown_center, username_taken.
func (s *Service) CreateOfficer(ctx context.Context, q db.Querier, n NewOfficer) (OfficerAccount, error) {
	if !usernameRE.MatchString(n.Username) {
		return OfficerAccount{}, ErrInvalidUsername
	}
	if !slices.Contains(Roles, n.Role) {
		return OfficerAccount{}, ErrInvalidRole
	}
	hash := n.hash
	if hash == "" {
		if len([]rune(n.Password)) < 10 {
			return OfficerAccount{}, ErrWeakPassword
		}
		var err error
		if hash, err = HashPassword(n.Password); err != nil {
			return OfficerAccount{}, err
		}
	}
	if n.Name == "" {
		n.Name = n.Username
	}
	o := OfficerAccount{ID: NewID("o"), Username: n.Username, Name: n.Name, Role: n.Role, Center: n.Center, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	insert := `INSERT INTO officers (id, username, name, role, center_code, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if n.ifAbsent {
		// A failed statement would abort a PostgreSQL transaction, so
		// existing accounts are skipped in SQL rather than by error.
		insert += " ON CONFLICT (username) DO NOTHING"
	}
	_, err := q.Exec(ctx, insert, o.ID, o.Username, o.Name, string(o.Role), o.Center, hash, db.Micros(o.CreatedAt))
	switch {
	case db.IsUniqueViolation(err):
		return OfficerAccount{}, ErrUsernameTaken
	case db.IsForeignKeyViolation(err):
		return OfficerAccount{}, ErrUnknownCenter
	case err != nil:
		return OfficerAccount{}, fmt.Errorf("account: create officer: %w", err)
	}
	return o, nil
}

// GetOfficer returns an officer by username. Errors: not_found.
func (s *Service) GetOfficer(ctx context.Context, username string) (OfficerAccount, error) {
	o, _, err := s.officerByUsername(ctx, username)
	if errors.Is(err, ErrInvalidCredentials) {
		return OfficerAccount{}, apperr.ErrNotFound.Msg("no such officer")
	}
	return o.OfficerAccount, err
}

// ListOfficers returns the officers of a centre ("" for all), by username.
func (s *Service) ListOfficers(ctx context.Context, center string) ([]OfficerAccount, error) {
	q := "SELECT " + officerCols + " FROM officers"
	var args []any
	if center != "" {
		q += " WHERE center_code = $1"
		args = append(args, center)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY username", args...)
	if err != nil {
		return nil, fmt.Errorf("account: list officers: %w", err)
	}
	defer rows.Close()
	var out []OfficerAccount
	for rows.Next() {
		var o OfficerAccount
		var hash, secret string
		var totp, disabled, failed int
		var step, locked, created int64
		if err := rows.Scan(&o.ID, &o.Username, &o.Name, &o.Role, &o.Center, &hash, &secret, &totp, &step, &disabled, &failed, &locked, &created); err != nil {
			return nil, fmt.Errorf("account: scan officer: %w", err)
		}
		o.TOTPEnabled, o.Disabled, o.CreatedAt = totp == 1, disabled == 1, db.Time(created)
		out = append(out, o)
	}
	return out, rows.Err()
}

// EnrollTOTP gives an officer a new (not yet enabled) TOTP secret and
// returns it with its otpauth URL. ConfirmTOTP enables it.
func (s *Service) EnrollTOTP(ctx context.Context, officerID string) (secret, url string, err error) {
	o, _, err := s.officerBy(ctx, "id", officerID)
	if err != nil {
		return "", "", err
	}
	if secret, err = NewTOTPSecret(); err != nil {
		return "", "", err
	}
	if _, err := s.db.Exec(ctx, "UPDATE officers SET totp_secret = $2, totp_enabled = 0, totp_last_step = 0 WHERE id = $1", officerID, secret); err != nil {
		return "", "", fmt.Errorf("account: enrol totp: %w", err)
	}
	return secret, TOTPURL("open110", o.Username, secret), nil
}

// ConfirmTOTP enables the enrolled secret once the officer proves they hold
// it with a current code. Errors: totp_invalid.
func (s *Service) ConfirmTOTP(ctx context.Context, officerID, code string) error {
	o, _, err := s.officerBy(ctx, "id", officerID)
	if err != nil {
		return err
	}
	step := checkTOTP(o.totpSecret, code, s.now())
	if o.totpSecret == "" || step == 0 {
		return ErrTOTPInvalid
	}
	_, err = s.db.Exec(ctx, "UPDATE officers SET totp_enabled = 1, totp_last_step = $2 WHERE id = $1", officerID, step)
	if err != nil {
		return fmt.Errorf("account: confirm totp: %w", err)
	}
	return nil
}

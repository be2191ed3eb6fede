package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"open110/platform/db"
	"open110/platform/sms"
)

// CitizenByPhone finds a registered (not deleted) citizen by phone number
// in any form NormalizePhone accepts. Errors: invalid_phone,
// citizen_not_found.
func (s *Service) CitizenByPhone(ctx context.Context, phone string) (CitizenRecord, error) {
	e164, err := sms.NormalizePhone(phone)
	if err != nil {
		return CitizenRecord{}, err
	}
	var c CitizenRecord
	var created, last int64
	err = s.db.QueryRow(ctx, "SELECT id, phone, created_at, last_login FROM citizens WHERE phone = $1 AND deleted_at = 0", e164).
		Scan(&c.ID, &c.Phone, &created, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return CitizenRecord{}, ErrCitizenNotFound
	}
	if err != nil {
		return CitizenRecord{}, fmt.Errorf("account: find citizen: %w", err)
	}
	c.CreatedAt, c.LastLogin = db.Time(created), db.Time(last)
	return c, nil
}

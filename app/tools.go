package app

import (
	"context"
	"fmt"

	"open110/audit"
	"open110/platform/db"
)

// Migrate applies every migration to the configured database and returns.
func Migrate(ctx context.Context, cfg Config) error {
	d, err := db.Open(ctx, cfg.DB, cfg.Data, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Migrate(ctx, migrations()...)
}

// VerifyAudit walks the audit chain of the configured database, read-only.
func VerifyAudit(ctx context.Context, cfg Config) (audit.VerifyResult, error) {
	d, err := db.Open(ctx, cfg.DB, cfg.Data, nil)
	if err != nil {
		return audit.VerifyResult{}, err
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE feature = 'audit'").Scan(&n); err != nil || n == 0 {
		return audit.VerifyResult{}, fmt.Errorf("no open110 database at the configured location")
	}
	return audit.New(d, nil).Verify(ctx)
}

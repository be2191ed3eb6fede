package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"open110/platform/apperr"
	"open110/platform/db"
)

// allowIP counts one request from ip against limit per window for scope
// ("otp", "login") and refuses it with rate_limited (retry_after_s) when the
// IP is over. The counts live in the database, so the limit is the same
// with one node or ten (a bucket in each node's memory would allow the rate
// once per node). The estimate is the sliding-window approximation: this
// window's count plus the previous window's, weighted by how much of it
// still overlaps the last window length. Refused requests count too: an
// address that keeps hammering stays refused.
func (s *Service) allowIP(ctx context.Context, scope, ip string, limit int, window time.Duration) error {
	if limit <= 0 || ip == "" {
		return nil
	}
	now := s.now()
	start := now.Truncate(window)
	var cur, prev int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO account_ip_counts (scope, ip, window_start, n) VALUES ($1, $2, $3, 1)
			ON CONFLICT (scope, ip, window_start) DO UPDATE SET n = account_ip_counts.n + 1
			RETURNING n`, scope, ip, db.Micros(start)).Scan(&cur); err != nil {
			return fmt.Errorf("account: count request: %w", err)
		}
		err := tx.QueryRow(ctx, "SELECT n FROM account_ip_counts WHERE scope = $1 AND ip = $2 AND window_start = $3",
			scope, ip, db.Micros(start.Add(-window))).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("account: read previous count: %w", err)
		}
		if rand.IntN(64) == 0 { // now and then, drop windows nobody reads any more
			if _, err := tx.Exec(ctx, "DELETE FROM account_ip_counts WHERE scope = $1 AND window_start < $2",
				scope, db.Micros(start.Add(-window))); err != nil {
				return fmt.Errorf("account: drop old counts: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	elapsed := now.Sub(start)
	overlap := 1 - elapsed.Seconds()/window.Seconds()
	if float64(cur)+float64(prev)*overlap <= float64(limit) {
		return nil
	}
	// When may the address try again? If this window alone is over, at the
	// next window; otherwise when the previous window's share has faded
	// enough (it fades linearly over this window).
	wait := window - elapsed
	if cur <= int64(limit) && prev > 0 {
		need := (float64(cur) + float64(prev)*overlap - float64(limit)) / float64(prev) // share of a window
		wait = time.Duration(need * float64(window))
	}
	return apperr.ErrRateLimited.With("retry_after_s", int(math.Max(1, math.Ceil(wait.Seconds()))))
}

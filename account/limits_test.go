package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"open110/account"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// The administrator's rate limits apply at once (admin settings call
// SetLimits on every node); zero fields keep Config's.
func TestSetLimitsAppliesAtOnce(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d, setupCfg())
		if got := e.svc.CurrentLimits(); got.OTPPerPhoneDay != 10 || got.LoginPerIPMinute != 30 {
			t.Fatalf("defaults %+v", got)
		}
		e.svc.SetLimits(account.Limits{OTPPerPhoneDay: 2, OTPPerIPHour: 3})
		if got := e.svc.CurrentLimits(); got.OTPPerPhoneDay != 2 || got.OTPPerIPHour != 3 || got.LoginPerIPMinute != 30 {
			t.Fatalf("after SetLimits %+v", got)
		}
		const p = "+8615000000077"
		for i := 0; i < 2; i++ {
			if err := e.svc.RequestOTP(ctx, p, "10.3.0.1"); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			e.clock.Add(61 * time.Second)
		}
		wantCode(t, e.svc.RequestOTP(ctx, p, "10.3.0.1"), "otp_daily_limit")
		// The per-IP bucket (3 an hour) is taken before the phone check, so
		// the three tries above used it up.
		wantCode(t, e.svc.RequestOTP(ctx, "+8615000000078", "10.3.0.1"), "rate_limited")
		if err := e.svc.RequestOTP(ctx, "+8615000000078", "10.3.0.2"); err != nil {
			t.Fatalf("another IP: %v", err)
		}
		// Officer sign-ins: 2 a minute per IP.
		e.svc.SetLimits(account.Limits{LoginPerIPMinute: 2})
		var err error
		for i := 0; i < 3; i++ {
			_, err = e.svc.Login(ctx, "nobody", "wrong", "", "10.4.0.1", "test")
		}
		wantCode(t, err, "rate_limited")
	})
}

// TestIPLimitsHoldAcrossNodes: two account services on one database (two
// nodes) share an address's allowance, and the count fades with the
// sliding window instead of resetting at a window's edge.
func TestIPLimitsHoldAcrossNodes(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cfg := account.Config{LoginPerIPMinute: 4}
		a := setup(t, d, cfg)
		a.clock.Set(a.clock.Now().Truncate(time.Minute)) // at a window's start
		// Node B: another service on the same database (and clock).
		b := &env{svc: account.New(d, a.audit, nil, []byte("test-secret-0123456789"), cfg, a.clock.Now, nil)}
		try := func(e *env) error {
			_, err := e.svc.Login(ctx, "nobody", "wrong", "", "10.9.0.1", "test")
			return err
		}
		for _, e := range []*env{a, b, a, b} {
			wantCode(t, try(e), "invalid_credentials") // allowed, and wrong
		}
		wantCode(t, try(a), "rate_limited")
		wantCode(t, try(b), "rate_limited") // node B knows
		_, err := b.svc.Login(ctx, "nobody", "wrong", "", "10.9.0.2", "test")
		wantCode(t, err, "invalid_credentials") // another address
		// Next window, 30 s in: half of the previous window's 6 still
		// counts (3), so one more attempt fits and the second does not.
		a.clock.Add(90 * time.Second)
		wantCode(t, try(b), "invalid_credentials")
		wantCode(t, try(a), "rate_limited")
		// Two windows on, the address starts afresh.
		a.clock.Add(2 * time.Minute)
		wantCode(t, try(a), "invalid_credentials")
	})
}

// TestCheckSecret: the first node records the secret's fingerprint; a node
// with the same secret starts, one with another is refused.
func TestCheckSecret(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d, setupCfg())
		if err := e.svc.CheckSecret(ctx); err != nil {
			t.Fatal(err)
		}
		same := account.New(d, e.audit, nil, []byte("test-secret-0123456789"), setupCfg(), e.clock.Now, nil)
		if err := same.CheckSecret(ctx); err != nil {
			t.Fatalf("same secret: %v", err)
		}
		other := account.New(d, e.audit, nil, []byte("another-secret-987654"), setupCfg(), e.clock.Now, nil)
		if err := other.CheckSecret(ctx); !errors.Is(err, account.ErrSecretMismatch) {
			t.Fatalf("another secret: %v", err)
		}
	})
}

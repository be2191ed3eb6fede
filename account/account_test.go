package account_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/db/dbtest"
	"open110/platform/fakeclock"
	"open110/platform/sms"
)

type env struct {
	svc    *account.Service
	d      *db.DB
	clock  *fakeclock.Clock
	outbox string
	audit  *audit.Log
}

func setupCfg() account.Config { return account.Config{OTPPerIPHour: 1 << 30} }

func (e *env) outboxAll(t testing.TB) []sms.Message {
	msgs, err := sms.ReadOutbox(e.outbox)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func setup(t testing.TB, d *db.DB, cfg account.Config) *env {
	t.Helper()
	c := fakeclock.New(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	outbox := filepath.Join(t.TempDir(), "sms-outbox.jsonl")
	a := audit.New(d, c.Now)
	svc := account.New(d, a, sms.NewOutbox(outbox, c.Now), []byte("test-secret-0123456789"), cfg, c.Now, nil)
	ctx := context.Background()
	if err := svc.SeedCenters(ctx, []account.UnitRow{
		{Code: "130000", Name: "河北省", Level: "province"},
		{Code: "130100", Name: "石家庄市", Level: "city", Parent: "130000"},
		{Code: "130102", Name: "长安区", Level: "county", Parent: "130100"},
	}, true); err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, d: d, clock: c, outbox: outbox, audit: a}
}

var codeRE = regexp.MustCompile(`\d{6}`)

func (e *env) lastCode(t *testing.T, phone string) string {
	t.Helper()
	msgs, err := sms.ReadOutbox(e.outbox)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == phone {
			return codeRE.FindString(msgs[i].Text)
		}
	}
	t.Fatalf("no SMS to %s", phone)
	return ""
}

func sets() []db.Migrations { return []db.Migrations{audit.Migrations(), account.Migrations()} }

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}

func TestCitizenOTP(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d, account.Config{})
		const phone = "+8613800000001"

		t.Run("code signs in once", func(t *testing.T) {
			if err := e.svc.RequestOTP(ctx, "138 0000 0001", "10.1.1.1"); err != nil {
				t.Fatal(err)
			}
			code := e.lastCode(t, phone)
			sess, err := e.svc.VerifyOTP(ctx, phone, code, "10.1.1.1", "test")
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.svc.Authenticate(ctx, sess.Token)
			if err != nil || p.Kind != account.Citizen || p.Phone != phone || p.SignInIP != "10.1.1.1" {
				t.Fatalf("principal %+v, %v", p, err)
			}
			_, err = e.svc.VerifyOTP(ctx, phone, code, "10.1.1.1", "test")
			wantCode(t, err, "otp_expired")

			if err := e.svc.Logout(ctx, sess.Token); err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Authenticate(ctx, sess.Token)
			wantCode(t, err, "invalid_token")
		})

		t.Run("resend waits 60 s and replaces the code", func(t *testing.T) {
			e.clock.Add(61 * time.Second)
			if err := e.svc.RequestOTP(ctx, phone, "10.1.1.1"); err != nil {
				t.Fatal(err)
			}
			first := e.lastCode(t, phone)
			err := e.svc.RequestOTP(ctx, phone, "10.1.1.1")
			wantCode(t, err, "otp_resend_too_soon")
			if apperr.From(err).Details["retry_after_s"] != 60 {
				t.Fatalf("retry_after_s = %v", apperr.From(err).Details["retry_after_s"])
			}
			e.clock.Add(60 * time.Second)
			if err := e.svc.RequestOTP(ctx, phone, "10.1.1.1"); err != nil {
				t.Fatal(err)
			}
			second := e.lastCode(t, phone)
			if first != second {
				_, err = e.svc.VerifyOTP(ctx, phone, first, "10.1.1.1", "")
				wantCode(t, err, "otp_invalid")
			}
			if _, err := e.svc.VerifyOTP(ctx, phone, second, "10.1.1.1", ""); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("code expires after 5 minutes", func(t *testing.T) {
			e.clock.Add(61 * time.Second)
			if err := e.svc.RequestOTP(ctx, phone, "10.1.1.1"); err != nil {
				t.Fatal(err)
			}
			code := e.lastCode(t, phone)
			e.clock.Add(5*time.Minute + time.Second)
			_, err := e.svc.VerifyOTP(ctx, phone, code, "10.1.1.1", "")
			wantCode(t, err, "otp_expired")
		})

		t.Run("five wrong codes burn the code", func(t *testing.T) {
			const p2 = "+8613900000002"
			if err := e.svc.RequestOTP(ctx, p2, "10.1.1.2"); err != nil {
				t.Fatal(err)
			}
			code := e.lastCode(t, p2)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			for i := 0; i < 4; i++ {
				_, err := e.svc.VerifyOTP(ctx, p2, wrong, "10.1.1.2", "")
				wantCode(t, err, "otp_invalid")
				if left := apperr.From(err).Details["attempts_left"]; left != 4-i {
					t.Fatalf("attempts_left = %v after %d", left, i+1)
				}
			}
			_, err := e.svc.VerifyOTP(ctx, p2, wrong, "10.1.1.2", "")
			wantCode(t, err, "otp_too_many_attempts")
			_, err = e.svc.VerifyOTP(ctx, p2, code, "10.1.1.2", "")
			wantCode(t, err, "otp_too_many_attempts")
			fails, _ := e.audit.List(ctx, audit.Filter{Action: "auth.otp.failed", Object: "phone:+86139****0002"})
			if len(fails) != 5 {
				t.Fatalf("%d failed-code audit entries, want 5", len(fails))
			}
		})

		t.Run("bad input changes nothing", func(t *testing.T) {
			var before int
			d.QueryRow(ctx, "SELECT COUNT(*) FROM otp_codes").Scan(&before)
			for _, ph := range []string{"", "12345", "+1 415 555 0100", "1380000000x"} {
				wantCode(t, e.svc.RequestOTP(ctx, ph, "10.1.1.3"), "invalid_phone")
			}
			_, err := e.svc.VerifyOTP(ctx, phone, "12ab56", "10.1.1.3", "")
			wantCode(t, err, "invalid_code")
			var after int
			d.QueryRow(ctx, "SELECT COUNT(*) FROM otp_codes").Scan(&after)
			if after != before {
				t.Fatalf("otp rows %d → %d", before, after)
			}
		})

		t.Run("per-phone daily limit", func(t *testing.T) {
			const p3 = "+8615000000003"
			for i := 0; i < 10; i++ {
				if err := e.svc.RequestOTP(ctx, p3, "10.2.0.1"); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				e.clock.Add(61 * time.Second)
			}
			wantCode(t, e.svc.RequestOTP(ctx, p3, "10.2.0.1"), "otp_daily_limit")
			e.clock.Add(24 * time.Hour)
			if err := e.svc.RequestOTP(ctx, p3, "10.2.0.1"); err != nil {
				t.Fatalf("next day: %v", err)
			}
		})

		t.Run("per-IP limit", func(t *testing.T) {
			var err error
			for i := 0; i < 40 && err == nil; i++ {
				err = e.svc.RequestOTP(ctx, fmt.Sprintf("+86137000000%02d", i), "10.9.9.9")
			}
			wantCode(t, err, "rate_limited")
		})
	})
}

func TestOfficerLogin(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d, account.Config{RequireTOTP: true, LoginPerIPMinute: 1000})
		mk := func(username string, role account.Role, center string) {
			if _, err := e.svc.CreateOfficer(ctx, d, account.NewOfficer{Username: username, Role: role, Center: center, Password: "correct horse battery"}); err != nil {
				t.Fatal(err)
			}
		}
		mk("d130102", account.Dispatcher, "130102")
		mk("s130100", account.Supervisor, "130100")

		t.Run("validation", func(t *testing.T) {
			_, err := e.svc.CreateOfficer(ctx, d, account.NewOfficer{Username: "d130102", Role: account.Dispatcher, Center: "130102", Password: "correct horse battery"})
			wantCode(t, err, "username_taken")
			_, err = e.svc.CreateOfficer(ctx, d, account.NewOfficer{Username: "x1", Role: "god", Center: "130102", Password: "correct horse battery"})
			wantCode(t, err, "invalid_role")
			_, err = e.svc.CreateOfficer(ctx, d, account.NewOfficer{Username: "x1", Role: account.Handler, Center: "999999", Password: "correct horse battery"})
			wantCode(t, err, "unknown_center")
			_, err = e.svc.CreateOfficer(ctx, d, account.NewOfficer{Username: "Bad Name", Role: account.Handler, Center: "130102", Password: "correct horse battery"})
			wantCode(t, err, "invalid_username")
			_, err = e.svc.CreateOfficer(ctx, d, account.NewOfficer{Username: "x2", Role: account.Handler, Center: "130102", Password: "short"})
			wantCode(t, err, "weak_password")
		})

		t.Run("right password signs in", func(t *testing.T) {
			sess, err := e.svc.Login(ctx, "d130102", "correct horse battery", "", "10.0.0.5", "")
			if err != nil {
				t.Fatal(err)
			}
			p, err := e.svc.Authenticate(ctx, sess.Token)
			if err != nil || p.Role != account.Dispatcher || p.Center != "130102" || p.SignInIP != "10.0.0.5" {
				t.Fatalf("%+v %v", p, err)
			}
		})

		t.Run("unknown user and wrong password look alike", func(t *testing.T) {
			_, err := e.svc.Login(ctx, "nobody", "whatever", "", "10.0.0.5", "")
			wantCode(t, err, "invalid_credentials")
		})

		t.Run("wrong passwords slow down then lock", func(t *testing.T) {
			for i := 1; i <= 3; i++ {
				_, err := e.svc.Login(ctx, "d130102", "wrong", "", "10.0.0.6", "")
				wantCode(t, err, "invalid_credentials")
			}
			// After the third failure the account waits a second.
			_, err := e.svc.Login(ctx, "d130102", "correct horse battery", "", "10.0.0.6", "")
			wantCode(t, err, "account_locked")
			e.clock.Add(2 * time.Second)
			for i := 4; i <= 10; i++ {
				_, err := e.svc.Login(ctx, "d130102", "wrong", "", "10.0.0.6", "")
				wantCode(t, err, "invalid_credentials")
				e.clock.Add(65 * time.Second)
			}
			e.clock.Add(-65 * time.Second)
			_, err = e.svc.Login(ctx, "d130102", "correct horse battery", "", "10.0.0.6", "")
			wantCode(t, err, "account_locked")
			if ra := apperr.From(err).Details["retry_after_s"].(int); ra < 800 {
				t.Fatalf("lock of %d s after 10 failures, want about 15 min", ra)
			}
			e.clock.Add(15 * time.Minute)
			if _, err := e.svc.Login(ctx, "d130102", "correct horse battery", "", "10.0.0.6", ""); err != nil {
				t.Fatalf("after the lock: %v", err)
			}
			fails, _ := e.audit.List(ctx, audit.Filter{Action: "auth.login.failed", Actor: "officer:d130102"})
			if len(fails) < 10 {
				t.Fatalf("%d failed sign-ins audited", len(fails))
			}
		})

		t.Run("TOTP", func(t *testing.T) {
			_, err := e.svc.Login(ctx, "s130100", "correct horse battery", "", "10.0.0.7", "")
			wantCode(t, err, "totp_not_enrolled")
			o, _ := e.svc.GetOfficer(ctx, "s130100")
			secret, url, err := e.svc.EnrollTOTP(ctx, o.ID)
			if err != nil || url == "" {
				t.Fatal(err)
			}
			wantCode(t, e.svc.ConfirmTOTP(ctx, o.ID, "000000"), "totp_invalid")
			code, _ := account.TOTPCode(secret, e.clock.Now())
			if err := e.svc.ConfirmTOTP(ctx, o.ID, code); err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Login(ctx, "s130100", "correct horse battery", "", "10.0.0.7", "")
			wantCode(t, err, "totp_required")
			// The confirming code cannot be replayed to sign in.
			_, err = e.svc.Login(ctx, "s130100", "correct horse battery", code, "10.0.0.7", "")
			wantCode(t, err, "totp_invalid")
			e.clock.Add(30 * time.Second)
			code, _ = account.TOTPCode(secret, e.clock.Now())
			if _, err := e.svc.Login(ctx, "s130100", "correct horse battery", code, "10.0.0.7", ""); err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Login(ctx, "s130100", "correct horse battery", code, "10.0.0.7", "")
			wantCode(t, err, "totp_invalid")
		})

		t.Run("disabled officer's sessions stop working", func(t *testing.T) {
			sess, err := e.svc.Login(ctx, "d130102", "correct horse battery", "", "10.0.0.8", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Exec(ctx, "UPDATE officers SET disabled = 1 WHERE username = 'd130102'"); err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Authenticate(ctx, sess.Token)
			wantCode(t, err, "invalid_token")
			_, err = e.svc.Login(ctx, "d130102", "correct horse battery", "", "10.0.0.8", "")
			wantCode(t, err, "account_disabled")
		})

		t.Run("expired session", func(t *testing.T) {
			sess, err := e.svc.Login(ctx, "nobody-here", "x", "", "10.0.0.9", "")
			if err == nil {
				t.Fatal(sess)
			}
			for _, tok := range []string{"", "short", "o110_" + string(make([]byte, 200))} {
				_, err := e.svc.Authenticate(ctx, tok)
				wantCode(t, err, "invalid_token")
			}
		})
	})
}

func TestDemoSeedIsIdempotent(t *testing.T) {
	dbtest.Each(t, sets(), func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := setup(t, d, account.Config{})
		first, err := e.svc.SeedDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second, err := e.svc.SeedDemo(ctx)
		if err != nil || len(second) != len(first) {
			t.Fatalf("reseed: %d vs %d, %v", len(second), len(first), err)
		}
		if _, err := e.svc.Login(ctx, "d130102", account.DemoPassword, "", "10.0.0.1", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Login(ctx, "admin", account.DemoPassword, "", "10.0.0.1", ""); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTOTPVector(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 secret "12345678901234567890": at T=59 the
	// 8-digit code is 94287082, so the 6-digit code is 287082.
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	code, err := account.TOTPCode(secret, time.Unix(59, 0))
	if err != nil || code != "287082" {
		t.Fatalf("code %q, %v", code, err)
	}
	wrapped := fmt.Errorf("login: %w", apperr.New(apperr.Unauthorized, "totp_invalid", "another message"))
	if !errors.Is(wrapped, account.ErrTOTPInvalid) {
		t.Fatal("sentinel matching by code broken")
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := account.HashPassword("open110-demo")
	if err != nil {
		t.Fatal(err)
	}
	if !account.CheckPassword(h, "open110-demo") || account.CheckPassword(h, "open110-demO") || account.CheckPassword("garbage", "x") {
		t.Fatal("password check wrong")
	}
}

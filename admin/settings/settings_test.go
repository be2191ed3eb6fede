package settings

import (
	"context"
	"errors"
	"testing"

	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/db/dbtest"
)

func TestValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for field, mut := range map[string]func(*Settings){
		"overflow_after_s":                  func(s *Settings) { s.OverflowAfterS = 4 },
		"abandon_after_s":                   func(s *Settings) { s.AbandonAfterS = 601 },
		"evidence_retention_days":           func(s *Settings) { s.EvidenceRetentionDays = 30 },
		"rate_limits.otp_per_phone_day":     func(s *Settings) { s.RateLimits.OTPPerPhoneDay = 0 },
		"quick_phrases":                     func(s *Settings) { s.QuickPhrases = []string{"  "} },
		"sms.gateway_url":                   func(s *Settings) { s.SMS.GatewayURL = "ftp://x" },
		"sms.secret":                        func(s *Settings) { s.SMS.GatewayURL = "https://gw.example" },
		"turn.urls":                         func(s *Settings) { s.TURN.URLs = []string{"http://x"} },
		"turn.username":                     func(s *Settings) { s.TURN.URLs = []string{"turns:turn.example:443"} },
		"rate_limits.alarms_per_phone_hour": func(s *Settings) { s.RateLimits.AlarmsPerPhoneHour = 101 },
	} {
		s := Defaults()
		mut(&s)
		err := s.Validate()
		if !errors.Is(err, ErrInvalid) || apperr.From(err).Details["field"] != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestStoreVersions(t *testing.T) {
	dbtest.Each(t, []db.Migrations{Migrations()}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := New(d, nil, nil, nil)
		var seen []int
		s.OnChange(func(st Settings) { seen = append(seen, st.OverflowAfterS) })
		next := Defaults()
		next.OverflowAfterS = 30
		next.SMS = SMS{GatewayURL: "https://gw.example/send", Secret: "k1"}
		save := func(base int64, st Settings) (Version, error) {
			var v Version
			err := d.InTx(ctx, func(tx *db.Tx) error {
				var err error
				v, err = s.Save(ctx, tx, base, st, "officer:admin", "test")
				return err
			})
			return v, err
		}
		if v, err := save(0, next); err != nil || v.Version != 1 {
			t.Fatalf("save v1: %+v %v", v, err)
		}
		if _, err := save(0, next); !errors.Is(err, ErrConflict) {
			t.Fatalf("stale base: %v", err)
		}
		next.SMS.Secret = Masked
		next.OverflowAfterS = 40
		if _, err := save(1, next); err != nil {
			t.Fatal(err)
		}
		s.Publish(ctx)
		if got := s.Get(); got.OverflowAfterS != 40 || got.SMS.Secret != "k1" {
			t.Fatalf("in force: %+v", got)
		}
		if len(seen) != 2 || seen[0] != 20 || seen[1] != 40 {
			t.Fatalf("OnChange saw %v", seen)
		}
		hs, err := s.History(ctx, 10)
		if err != nil || len(hs) != 2 || hs[0].Version != 2 || hs[0].Settings.SMS.Secret != Masked {
			t.Fatalf("history %+v %v", hs, err)
		}
	})
}

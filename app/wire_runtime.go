package app

import (
	"context"
	"sync/atomic"
	"time"

	"open110/account"
	"open110/admin/settings"
	"open110/alarm"
	"open110/media"
	"open110/platform/sms"
)

// wireRuntime applies the administrator's run-time settings (admin
// settings: saved on any node, loaded on every node through the bus
// wake-up "config.settings" and a minute's poll) to the features that obey
// them, at once and on every later version — no restart:
//
//	overflow_after_s, abandon_after_s, quick_phrases,
//	rate_limits.alarms_per_phone_hour       → alarm.SetTuning
//	rate_limits.otp_per_*, login_per_ip_*   → account.SetLimits
//	trip_retention_days                     → guardian.SetRetention
//	sms.gateway_url / sms.secret            → the node's SMS sender (switchSMS) and the 12110 callback check
//	turn.urls / username / credential       → media.SetICEServers
//	closed_/evidence_/session_retention_days → read by the admin retention job at each run
//
// While no version was ever saved (version 0) the flags, environment and
// feature defaults stay in force: settings override them once an
// administrator saves. It runs after every feature is wired.
func wireRuntime(a *App) error {
	a.settings.OnChange(func(st settings.Settings) {
		if a.settings.Current().Version == 0 {
			return
		}
		a.applySettings(st)
	})
	return nil
}

// applySettings pushes one settings version into the features.
func (a *App) applySettings(st settings.Settings) {
	if s := a.Alarms(); s != nil {
		s.SetTuning(alarm.Tuning{
			OverflowAfter: time.Duration(st.OverflowAfterS) * time.Second,
			AbandonAfter:  time.Duration(st.AbandonAfterS) * time.Second,
			QuickPhrases:  st.QuickPhrases, // empty: the alarm feature's defaults
			PhonePerHour:  st.RateLimits.AlarmsPerPhoneHour,
			SMSSecret:     []byte(st.SMS.Secret), // empty: --sms-secret
		})
	}
	a.Accounts.SetLimits(account.Limits{
		OTPPerPhoneDay:   st.RateLimits.OTPPerPhoneDay,
		OTPPerIPHour:     st.RateLimits.OTPPerIPHour,
		LoginPerIPMinute: st.RateLimits.LoginPerIPMinute,
	})
	if a.guardian != nil {
		a.guardian.SetRetention(time.Duration(st.TripRetentionDays) * 24 * time.Hour)
	}
	if sw, ok := a.SMS.(*switchSMS); ok {
		if st.SMS.GatewayURL != "" {
			sw.set(&sms.Gateway{URL: st.SMS.GatewayURL, Secret: []byte(st.SMS.Secret), Now: a.Now})
		} else {
			sw.set(nil) // the flags' sender (gateway or file outbox)
		}
	}
	if a.media != nil {
		if len(st.TURN.URLs) == 0 {
			a.media.SetICEServers(nil) // the flags' --ice-servers
		} else {
			a.media.SetICEServers([]media.ICEServer{{URLs: st.TURN.URLs, Username: st.TURN.Username, Credential: st.TURN.Credential}})
		}
	}
	a.Log.Info("settings applied", "version", a.settings.Current().Version)
}

// switchSMS is the node's SMS sender: the one the flags chose (gateway or
// file outbox) until an administrator configures a gateway in the
// settings, then that one. Every feature holds this sender, so a change
// reaches them all at once.
type switchSMS struct {
	flags    sms.Sender
	override atomic.Pointer[sms.Gateway]
}

func newSwitchSMS(flags sms.Sender) *switchSMS { return &switchSMS{flags: flags} }

func (s *switchSMS) set(g *sms.Gateway) { s.override.Store(g) }

// Send delivers through the sender in force now.
func (s *switchSMS) Send(ctx context.Context, to, text string) error {
	if g := s.override.Load(); g != nil {
		return g.Send(ctx, to, text)
	}
	return s.flags.Send(ctx, to, text)
}

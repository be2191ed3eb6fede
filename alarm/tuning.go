package alarm

import (
	"slices"
	"time"
)

// Tuning is the part of the alarm rules an administrator changes at run
// time (admin settings: overflow time, abandonment time, quick phrases,
// the prank threshold). The service reads it on every sweep and request,
// so a change applies at the next sweep without a restart. A zero field
// means "the value from Config" (which itself defaults as Config says).
type Tuning struct {
	OverflowAfter   time.Duration // unanswered this long → offered one step up
	AbandonAfter    time.Duration // caller's live connection gone this long before an answer → abandoned
	DispatcherGrace time.Duration // answering dispatcher's console gone this long → back to the queue
	QuickPhrases    []string      // dispatcher one-click replies
	PhonePerHour    int           // alarms from one phone in an hour before it is marked suspected
	SMSSecret       []byte        // HMAC secret of the 12110 gateway's callbacks (admin's SMS gateway)
}

// SetTuning replaces the run-time rules; zero fields fall back to Config.
// Safe for concurrent use with everything else.
func (s *Service) SetTuning(t Tuning) {
	t.QuickPhrases = slices.Clone(t.QuickPhrases)
	t.SMSSecret = slices.Clone(t.SMSSecret)
	s.tune.Store(&t)
}

// Tuning returns the rules in force (zero fields resolved to Config's).
func (s *Service) Tuning() Tuning {
	t := Tuning{OverflowAfter: s.cfg.OverflowAfter, AbandonAfter: s.cfg.AbandonAfter, DispatcherGrace: s.cfg.DispatcherGrace,
		QuickPhrases: s.cfg.QuickPhrases, PhonePerHour: s.cfg.Prank.PhonePerHour, SMSSecret: s.cfg.SMSSecret}
	if o := s.tune.Load(); o != nil {
		if o.OverflowAfter > 0 {
			t.OverflowAfter = o.OverflowAfter
		}
		if o.AbandonAfter > 0 {
			t.AbandonAfter = o.AbandonAfter
		}
		if o.DispatcherGrace > 0 {
			t.DispatcherGrace = o.DispatcherGrace
		}
		if len(o.QuickPhrases) > 0 {
			t.QuickPhrases = o.QuickPhrases
		}
		if o.PhonePerHour > 0 {
			t.PhonePerHour = o.PhonePerHour
		}
		if len(o.SMSSecret) > 0 {
			t.SMSSecret = o.SMSSecret
		}
	}
	t.QuickPhrases = slices.Clone(t.QuickPhrases)
	return t
}

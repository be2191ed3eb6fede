package app

import (
	"open110/alarm"
)

// wireAlarm serves alarms: raise to close, the console's live feed, SMS
// 12110 ingest, call-backs and statistics; its timers (overflow, abandonment,
// dispatcher grace) run as a runner on every node (each step is a
// conditional update, so nodes never apply one twice).
func wireAlarm(a *App) error {
	s, err := alarm.New(alarm.Config{SMSSecret: []byte(a.Cfg.SMSSecret)}, alarm.Deps{
		DB: a.DB, Bus: a.Bus, Router: alarm.GeoRouter(a.Router), SMS: a.SMS, Audit: a.Audit,
		Metrics: a.Metrics, Now: a.Now, Log: a.Log,
	})
	if err != nil {
		return err
	}
	s.Register(a.Mux)
	a.AddRunner(s.Run)
	a.AddOpenAPI(alarm.OpenAPI)
	a.alarms = s
	return nil
}

// Alarms returns the node's alarm service (nil before wiring): media,
// guardian, admin and my-data reach alarms through it.
func (a *App) Alarms() *alarm.Service { return a.alarms }

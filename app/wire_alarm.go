package app

import (
	"context"
	"sync"
	"time"

	"open110/alarm"
)

// wireAlarm serves alarms: raise to close, the console's live feed, SMS
// 12110 ingest, call-backs and statistics; its timers (overflow, abandonment,
// dispatcher grace) run as a runner on every node (each step is a
// conditional update, so nodes never apply one twice).
//
// The alarm schema is migrated here so this file is the only shared one the
// feature touches; the lead may move alarm.Migrations() into migrations().
func wireAlarm(a *App) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.DB.Migrate(ctx, alarm.Migrations()); err != nil {
		return err
	}
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
	alarmMu.Lock()
	alarmServices[a] = s
	alarmMu.Unlock()
	a.AddCloser(func() error {
		alarmMu.Lock()
		delete(alarmServices, a)
		alarmMu.Unlock()
		return nil
	})
	return nil
}

// alarmServices lets later wirings (media, guardian) find the node's alarm
// service without a field on App; the lead may replace it with one.
var (
	alarmMu       sync.Mutex
	alarmServices = map[*App]*alarm.Service{}
)

// Alarms returns the node's alarm service (nil before wiring).
func (a *App) Alarms() *alarm.Service {
	alarmMu.Lock()
	defer alarmMu.Unlock()
	return alarmServices[a]
}

func init() { wirings = append(wirings, wireAlarm) }

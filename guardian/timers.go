package guardian

import (
	"context"
	"fmt"
	"time"

	"open110/platform/db"
)

// Run drives the timers until ctx ends: overdue trips, silent phones, trips
// that ran too long, duress alarms still to raise, and the retention purge.
// Every step is a conditional update, so several nodes may run it at once.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.TickEvery)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("guardian: timers", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Tick runs every timer once at the injected clock's now (tests call it
// directly).
func (s *Service) Tick(ctx context.Context) error {
	for _, step := range []func(context.Context, time.Time) error{
		s.tickDuress, s.tickOverdue, s.tickSilent, s.tickMaxTrip, s.tickPurge,
	} {
		if err := step(ctx, s.now()); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("guardian: timers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("guardian: timers: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (s *Service) tickDuress(ctx context.Context, _ time.Time) error {
	ids, err := s.ids(ctx, "SELECT id FROM trips WHERE duress_pending = 1")
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.raiseDuress(ctx, id)
	}
	return nil
}

// transition applies a conditional update to one trip and, when this node
// won it, records an event; it returns the trip as it was and whether it
// happened.
func (s *Service) transition(ctx context.Context, id, update string, args []any, typ, audience string, data func(tripRow) map[string]any) (tripRow, bool, error) {
	var t tripRow
	var rev int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, update, append([]any{id}, args...)...)
		if err != nil {
			return fmt.Errorf("guardian: %s: %w", typ, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		if t, err = loadTrip(ctx, tx, id); err != nil {
			return err
		}
		rev, err = s.addEvent(ctx, tx, id, typ, audience, "system", data(t))
		return err
	})
	if err != nil || rev == 0 {
		return t, false, err
	}
	s.wake(ctx, id, rev)
	return t, true, nil
}

func lastData(t tripRow) map[string]any {
	d := map[string]any{}
	if l := t.last(); l != nil {
		d["last"] = l
	}
	if t.ExpectedAt != 0 {
		d["expected_at"] = db.Time(t.ExpectedAt)
	}
	return d
}

func lastText(t tripRow) string {
	l := t.last()
	if l == nil {
		return "暂无位置"
	}
	return fmt.Sprintf("最后位置 %.5f,%.5f（%s）", l.Lat, l.Lng, l.At.In(shanghai).Format("15:04"))
}

// tickOverdue: the expected arrival passed → the traveller is prompted;
// PromptGrace later without a check-in or an end → the guardians are told.
func (s *Service) tickOverdue(ctx context.Context, now time.Time) error {
	ids, err := s.ids(ctx, "SELECT id FROM trips WHERE state = 'active' AND overdue_stage = 0 AND expected_at > 0 AND expected_at < $1", db.Micros(now))
	if err != nil {
		return err
	}
	for _, id := range ids {
		t, ok, err := s.transition(ctx, id, "UPDATE trips SET overdue_stage = 1, prompted_at = $2 WHERE id = $1 AND state = 'active' AND overdue_stage = 0",
			[]any{db.Micros(now)}, "overdue_prompt", audienceTraveller, lastData)
		if err != nil {
			return err
		}
		if ok {
			s.notify(ctx, t.OwnerPhone, "【公安110】您的出行已超过预计到达时间。平安到达请在App中「到达报平安」，需要更多时间请「我很好」。无回应时将通知您的守护人。")
		}
	}
	ids, err = s.ids(ctx, "SELECT id FROM trips WHERE state = 'active' AND overdue_stage = 1 AND prompted_at < $1", db.Micros(now.Add(-s.cfg.PromptGrace)))
	if err != nil {
		return err
	}
	for _, id := range ids {
		t, ok, err := s.transition(ctx, id, "UPDATE trips SET overdue_stage = 2 WHERE id = $1 AND state = 'active' AND overdue_stage = 1",
			nil, "overdue", audienceAll, lastData)
		if err != nil {
			return err
		}
		if ok {
			s.notifyGuardians(ctx, t, "【公安110】"+maskPhone(t.OwnerPhone)+"已超过预计到达时间且未回应。"+lastText(t)+"。请尽快联系TA，必要时在App中为TA报警。")
		}
	}
	return nil
}

func (s *Service) notifyGuardians(ctx context.Context, t tripRow, text string) {
	phones, err := guardianPhones(ctx, s.db, t.ID)
	if err != nil {
		s.log.Warn("guardian: notify guardians", "err", err)
		return
	}
	for _, ph := range phones {
		s.notify(ctx, ph, text)
	}
}

// tickSilent: no upload for SilentAfter during a trip → guardians are told
// with the last position (once; an upload resets it).
func (s *Service) tickSilent(ctx context.Context, now time.Time) error {
	ids, err := s.ids(ctx, "SELECT id FROM trips WHERE state = 'active' AND silent_stage = 0 AND last_seen_at < $1", db.Micros(now.Add(-s.cfg.SilentAfter)))
	if err != nil {
		return err
	}
	for _, id := range ids {
		t, ok, err := s.transition(ctx, id, "UPDATE trips SET silent_stage = 1 WHERE id = $1 AND state = 'active' AND silent_stage = 0 AND last_seen_at < $2",
			[]any{db.Micros(now.Add(-s.cfg.SilentAfter))}, "silent", audienceAll, func(t tripRow) map[string]any {
				d := lastData(t)
				d["last_seen_at"] = db.Time(t.LastSeenAt)
				return d
			})
		if err != nil {
			return err
		}
		if ok {
			s.notifyGuardians(ctx, t, fmt.Sprintf("【公安110】%s的手机已%d分钟没有上报位置。%s。请尽快联系TA。",
				maskPhone(t.OwnerPhone), int(now.Sub(db.Time(t.LastSeenAt)).Minutes()), lastText(t)))
		}
	}
	return nil
}

// tickMaxTrip ends trips that ran longer than MaxTrip: positions are
// collected only during a trip, and a forgotten trip must not track anyone
// for days.
func (s *Service) tickMaxTrip(ctx context.Context, now time.Time) error {
	ids, err := s.ids(ctx, "SELECT id FROM trips WHERE state = 'active' AND started_at < $1", db.Micros(now.Add(-s.cfg.MaxTrip)))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, _, err := s.transition(ctx, id, "UPDATE trips SET state = 'ended', end_kind = 'expired', ended_at = $2 WHERE id = $1 AND state = 'active'",
			[]any{db.Micros(now)}, "ended", audienceAll, func(tripRow) map[string]any { return map[string]any{"end_kind": EndExpired} }); err != nil {
			return err
		}
	}
	return nil
}

// Deleter is the optional part of the evidence store that can remove an
// object; trip media not held as evidence is deleted with its trip when
// the store offers it.
type Deleter interface {
	Delete(ctx context.Context, sha256hex string) error
}

// tickPurge deletes trips that ended more than Retention ago and are not
// linked to an alarm (a linked trip is evidence: the alarm's retention
// applies). Points, media rows and events go with the trip (ON DELETE
// CASCADE); media bytes no other trip references are deleted when the
// store can.
func (s *Service) tickPurge(ctx context.Context, now time.Time) error {
	if s.cfg.ExternalPurge {
		return nil // the node's retention job calls PurgeTrips and logs it
	}
	_, err := s.PurgeTrips(ctx, now)
	return err
}

// PurgeTrips deletes the trips that ended more than the retention in force
// (SetRetention, else Config) before now and are not linked to an alarm,
// and returns how many it deleted. The node's retention job calls it when
// Config.ExternalPurge is set, so each purge is logged in the audit.
func (s *Service) PurgeTrips(ctx context.Context, now time.Time) (int64, error) {
	ids, err := s.ids(ctx, "SELECT id FROM trips WHERE state = 'ended' AND held = 0 AND ended_at < $1", db.Micros(now.Add(-s.retention())))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		deleted, err := s.deleteTrip(ctx, id)
		if err != nil {
			return n, err
		}
		if deleted {
			n++
		}
	}
	return n, nil
}

// deleteTrip deletes a trip not linked to an alarm with its points, media
// rows, events and guardians, then the media bytes no other trip
// references (when the store can delete). deleted is false when the trip
// is gone already or held (linked to an alarm meanwhile).
func (s *Service) deleteTrip(ctx context.Context, id string) (deleted bool, err error) {
	var orphans []string
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var held int
		if err := tx.QueryRow(ctx, "SELECT held FROM trips WHERE id = $1", id).Scan(&held); err != nil || held != 0 {
			return nil // gone already, or linked to an alarm meanwhile
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT sha256 FROM trip_media m WHERE trip_id = $1
			AND NOT EXISTS (SELECT 1 FROM trip_media o WHERE o.sha256 = m.sha256 AND o.trip_id <> $1)`, id)
		if err != nil {
			return fmt.Errorf("guardian: purge: %w", err)
		}
		for rows.Next() {
			var sha string
			if err := rows.Scan(&sha); err != nil {
				rows.Close()
				return fmt.Errorf("guardian: purge: %w", err)
			}
			orphans = append(orphans, sha)
		}
		rows.Close()
		// Children first: PostgreSQL and SQLite cascade alike, but an
		// explicit order keeps the purge independent of that setting.
		for _, q := range []string{"DELETE FROM trip_points WHERE trip_id = $1", "DELETE FROM trip_media WHERE trip_id = $1",
			"DELETE FROM trip_events WHERE trip_id = $1", "DELETE FROM trip_guardians WHERE trip_id = $1", "DELETE FROM trips WHERE id = $1 AND held = 0"} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("guardian: purge: %w", err)
			}
		}
		deleted = true
		return nil
	})
	if err != nil {
		return false, err
	}
	if del, ok := s.blob.(Deleter); ok {
		for _, sha := range orphans {
			if err := del.Delete(ctx, sha); err != nil {
				s.log.Warn("guardian: purge media bytes", "err", err)
			}
		}
	}
	return deleted, nil
}

package alarm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"open110/geo"
	"open110/platform/db"
)

// Run performs the timed work (overflow, abandonment, dispatcher grace)
// every second until ctx ends. Every node may run it: each step is a
// conditional update, so two nodes never apply one step twice.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("alarm: sweep", "err", err)
			}
		}
	}
}

// Sweep applies every timer that is due at Now(): overflow to the next
// centre of the chain, abandonment of queued alarms whose caller's live
// connection is gone, and return to the queue of answered alarms whose
// dispatcher's console is gone. Tests call it after moving the clock.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	tune := s.Tuning()
	if err := s.sweepOverflow(ctx, now, tune.OverflowAfter); err != nil {
		return err
	}
	if err := s.sweepIDs(ctx, "SELECT id FROM alarms WHERE state = 'queued' AND caller_watch = 1 AND caller_seen_at < $1",
		db.Micros(now.Add(-tune.AbandonAfter)), func(w *wtx, r *row) error {
			if r.State != Queued {
				return nil
			}
			return s.abandon(ctx, w, r, "caller_gone")
		}); err != nil {
		return err
	}
	return s.sweepIDs(ctx, "SELECT id FROM alarms WHERE state = 'answered' AND dispatcher_watch = 1 AND dispatcher_seen_at < $1",
		db.Micros(now.Add(-tune.DispatcherGrace)), func(w *wtx, r *row) error {
			if r.State != Answered {
				return nil
			}
			// Re-check under the lock: the console may have come back.
			var watch int
			var seen int64
			if err := w.QueryRow(ctx, "SELECT dispatcher_watch, dispatcher_seen_at FROM alarms WHERE id = $1", r.ID).Scan(&watch, &seen); err != nil {
				return err
			}
			if watch == 0 || db.Time(seen).After(s.now().Add(-tune.DispatcherGrace)) {
				return nil
			}
			return s.requeue(ctx, w, r, "system", "dispatcher_lost")
		})
}

func (s *Service) sweepIDs(ctx context.Context, q string, arg any, fn func(w *wtx, r *row) error) error {
	rs, err := s.db.Query(ctx, q+" LIMIT 500", arg)
	if err != nil {
		return fmt.Errorf("alarm: sweep: %w", err)
	}
	var ids []string
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			rs.Close()
			return err
		}
		ids = append(ids, id)
	}
	rs.Close()
	for _, id := range ids {
		if _, err := s.mutate(ctx, id, fn); err != nil {
			return err
		}
	}
	return nil
}

// chain returns the overflow chain starting at centre c: the router's, or
// the unit tree's parents (county → city → province).
func (s *Service) chain(c string) []string {
	if ch := s.router.OverflowChain(c); len(ch) > 0 {
		return ch
	}
	out := []string{}
	for i := 0; i < 4 && c != ""; i++ {
		out = append(out, c)
		u, ok := geo.UnitByCode(c)
		if !ok {
			break
		}
		c = u.Parent
	}
	return out
}

func (s *Service) sweepOverflow(ctx context.Context, now time.Time, after time.Duration) error {
	return s.sweepIDs(ctx, "SELECT id FROM alarms WHERE state = 'queued' AND queued_at <= $1", db.Micros(now.Add(-after)),
		func(w *wtx, r *row) error {
			if r.State != Queued {
				return nil
			}
			chain := s.chain(r.Center.Code)
			waited := now.Sub(r.QueuedAt)
			for r.Overflow+1 < len(chain) && waited >= time.Duration(r.Overflow+1)*after {
				next := chain[r.Overflow+1]
				level := r.Overflow + 1
				if _, err := w.Exec(ctx, "UPDATE alarms SET overflow_level = $2 WHERE id = $1 AND state = 'queued' AND overflow_level = $3",
					r.ID, level, r.Overflow); err != nil {
					return fmt.Errorf("alarm: overflow: %w", err)
				}
				r.Overflow = level
				if !slices.Contains(r.Active, next) {
					r.Active = append(r.Active, next)
					r.OfferedTo = append(r.OfferedTo, centerOf(next))
					r.Past = slices.DeleteFunc(r.Past, func(c string) bool { return c == next })
				}
				seq, err := w.event(ctx, r, "overflow", "system", fmt.Sprintf("unanswered for %s", waited.Truncate(time.Second)), false,
					map[string]any{"offered_to": centerOf(next), "level": level})
				if err != nil {
					return err
				}
				if err := w.addOffer(ctx, r, next, "overflow", seq); err != nil {
					return err
				}
				s.m.overflowed(r)
			}
			return nil
		})
}

// touchConsole refreshes the presence of an officer's console: their
// answered alarms stay theirs while it lives. Called by the feed's ping loop.
func (s *Service) touchConsole(ctx context.Context, username string) error {
	_, err := s.db.Exec(ctx, "UPDATE alarms SET dispatcher_watch = 1, dispatcher_seen_at = $2 WHERE answered_by = $1 AND state = 'answered'",
		username, db.Micros(s.now()))
	return err
}

// touchCallerConn refreshes the presence of a caller's live connection.
func (s *Service) touchCallerConn(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, "UPDATE alarms SET caller_watch = 1, caller_seen_at = $2 WHERE id = $1 AND state IN ('queued', 'answered')",
		id, db.Micros(s.now()))
	return err
}

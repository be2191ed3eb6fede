package guardian

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"open110/account"
	"open110/platform/apperr"
	"open110/platform/db"
	"open110/platform/ids"
)

// Track point rules (each has a test):
//
//   - A batch holds 1..MaxBatch points; a point needs seq >= 1, a valid
//     WGS-84 position and its capture time. A malformed point fails the
//     whole batch (invalid_points, nothing stored).
//   - seq is the client's sequence number and the idempotency key: a seq
//     already stored is a duplicate and ignored (the first upload wins), so
//     a client retries a batch freely until it gets an answer.
//   - Points may arrive out of order (a phone flushing its backlog): they are
//     stored as they come; the track is ordered by capture time, and the
//     trip's last position only moves to a newer capture time.
//   - A point stamped more than FutureSkew ahead of the server clock is
//     refused (point_in_future); one from before the trip started
//     (point_before_trip) likewise. Refusals are per point and final; the
//     rest of the batch is stored.
//   - An ended trip still takes late points captured before it ended (a
//     backlog delivered after "arrived"), and refuses points captured after
//     its end (after_trip_end): positions are collected only during a trip.
//   - Only the traveller uploads; everyone else gets trip_not_found.
//   - The answer comes after the commit: every seq not refused is durable.

func validatePoints(pts []Point) error {
	if len(pts) == 0 {
		return ErrInvalidPoints.Msg("a batch needs at least one point")
	}
	if len(pts) > MaxBatch {
		return ErrTooManyPoints.Msg("at most %d points in one batch", MaxBatch)
	}
	for i, p := range pts {
		if p.Seq < 1 {
			return ErrInvalidPoints.Msg("point %d: seq must be a positive integer", i).With("index", i)
		}
		if p.At.IsZero() {
			return ErrInvalidPoints.Msg("point %d: at (capture time) is required", i).With("index", i)
		}
		if !p.Position.valid() {
			return ErrInvalidPoints.Msg("point %d: lat/lng/accuracy_m out of range", i).With("index", i)
		}
	}
	return nil
}

// AddPoints stores a batch of the traveller's track points, durably, and
// wakes the guardians' live views. Errors: trip_not_found, invalid_points,
// too_many_points. Per-point refusals are in the result.
func (s *Service) AddPoints(ctx context.Context, p account.Principal, tripID string, pts []Point) (IngestResult, error) {
	if err := validatePoints(pts); err != nil {
		return IngestResult{}, err
	}
	if !p.IsCitizen() || !ids.Valid(tripID) {
		return IngestResult{}, ErrTripNotFound
	}
	return s.ing.submit(ctx, &batchReq{trip: tripID, owner: p.ID, pts: pts})
}

// ingester commits concurrent batches together: one worker takes every
// batch waiting (up to groupPoints points), writes them in one transaction
// and answers each after the commit. On SQLite, where there is one writer
// and each commit fsyncs (synchronous=FULL), this group commit is what
// turns a few hundred commits a second into tens of thousands of points.
type ingester struct {
	s    *Service
	reqs chan *batchReq
	wg   sync.WaitGroup
	stop chan struct{}
}

const groupPoints = 8000

type batchReq struct {
	trip, owner string
	pts         []Point
	res         IngestResult
	err         error
	rev         int64
	done        chan struct{}
}

func newIngester(s *Service, workers int) *ingester {
	in := &ingester{s: s, reqs: make(chan *batchReq, 1024), stop: make(chan struct{})}
	for range workers {
		in.wg.Add(1)
		go in.loop()
	}
	return in
}

func (in *ingester) close() {
	close(in.stop)
	in.wg.Wait()
}

var errClosed = apperr.New(apperr.Unavailable, "unavailable", "the server is shutting down")

func (in *ingester) submit(ctx context.Context, r *batchReq) (IngestResult, error) {
	r.done = make(chan struct{})
	select {
	case in.reqs <- r:
	case <-in.stop:
		return IngestResult{}, errClosed
	case <-ctx.Done():
		return IngestResult{}, ctx.Err()
	}
	// Once queued the batch is written even if the client goes away; wait
	// for the outcome so the answer, when it gets through, is the truth.
	<-r.done
	if r.err == nil {
		in.s.wake(ctx, r.trip, r.rev)
	}
	return r.res, r.err
}

func (in *ingester) loop() {
	defer in.wg.Done()
	for {
		var first *batchReq
		select {
		case first = <-in.reqs:
		case <-in.stop:
			// Finish what is queued so no submitter waits forever.
			for {
				select {
				case r := <-in.reqs:
					in.commit([]*batchReq{r})
				default:
					return
				}
			}
		}
		group := []*batchReq{first}
		n := len(first.pts)
	more:
		for n < groupPoints {
			select {
			case r := <-in.reqs:
				group = append(group, r)
				n += len(r.pts)
			default:
				break more
			}
		}
		in.commit(group)
	}
}

func (in *ingester) commit(group []*batchReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := in.s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, r := range group {
			r.res, r.err, r.rev = IngestResult{}, nil, 0
			if err := in.s.ingest(ctx, tx, r); err != nil {
				var ae *apperr.Error
				if errors.As(err, &ae) {
					r.err = err // this batch's own answer; the others go on
					continue
				}
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		// Something failed for the whole group: retry each batch alone so
		// one bad batch cannot fail its neighbours.
		for _, r := range group {
			in.commit([]*batchReq{r})
		}
		return
	}
	for _, r := range group {
		if err != nil {
			r.err = err
		}
		close(r.done)
	}
}

// ingest writes one batch inside the group's transaction.
func (s *Service) ingest(ctx context.Context, tx *db.Tx, r *batchReq) error {
	t, err := loadTrip(ctx, tx, r.trip)
	if err != nil {
		return err
	}
	if t.OwnerID != r.owner {
		return ErrTripNotFound
	}
	now := s.now()
	future := now.Add(s.cfg.FutureSkew)
	start := db.Time(t.StartedAt).Add(-time.Minute) // tolerate a little clock skew at start
	var end time.Time
	if t.State != TripActive {
		end = db.Time(t.EndedAt)
	}
	res := IngestResult{Rejected: []RejectedSeq{}}
	keep := make([]Point, 0, len(r.pts))
	seen := make(map[int64]bool, len(r.pts))
	for _, p := range r.pts {
		switch {
		case seen[p.Seq]:
			res.Duplicates++
			continue
		case p.At.After(future):
			res.Rejected = append(res.Rejected, RejectedSeq{p.Seq, "point_in_future"})
		case p.At.Before(start):
			res.Rejected = append(res.Rejected, RejectedSeq{p.Seq, "point_before_trip"})
		case !end.IsZero() && p.At.After(end):
			res.Rejected = append(res.Rejected, RejectedSeq{p.Seq, "after_trip_end"})
		default:
			keep = append(keep, p)
		}
		seen[p.Seq] = true
	}
	rev, err := bump(ctx, tx, r.trip)
	if err != nil {
		return err
	}
	res.Cursor = rev
	var newest *Point
	inserted, err := s.insertPoints(ctx, tx, r.trip, rev, keep)
	if err != nil {
		return err
	}
	for i := range keep {
		if !inserted[keep[i].Seq] {
			res.Duplicates++
			continue
		}
		res.Accepted++
		if newest == nil || keep[i].At.After(newest.At) {
			newest = &keep[i]
		}
	}
	// Any upload means the phone is alive; a newer fix moves the last
	// position. A silent-phone notice is answered by the phone coming back.
	if newest != nil && db.Micros(newest.At) > t.LastAt {
		_, err = tx.Exec(ctx, `UPDATE trips SET last_seen_at = $2, last_at = $3, last_lat = $4, last_lng = $5, last_acc = $6, silent_stage = 0 WHERE id = $1`,
			r.trip, db.Micros(now), db.Micros(newest.At), newest.Lat, newest.Lng, newest.AccuracyM)
	} else if t.State == TripActive {
		_, err = tx.Exec(ctx, "UPDATE trips SET last_seen_at = $2, silent_stage = 0 WHERE id = $1", r.trip, db.Micros(now))
	}
	if err != nil {
		return fmt.Errorf("guardian: trip position: %w", err)
	}
	if t.SilentStage > 0 && t.State == TripActive {
		if _, err := s.addEvent(ctx, tx, r.trip, "back", audienceAll, "system", nil); err != nil {
			return err
		}
		res.Cursor++
		rev++
	}
	r.res, r.rev = res, rev
	return nil
}

// insertPoints stores points with one statement whose only variable part
// is a JSON array ([[seq, lat, lng, accuracy_m, at], ...]): the statement
// text never changes, so it parses in microseconds, and there is one bound
// parameter instead of seven per row (binding thousands of numbered
// parameters is quadratic in SQLite). Existing seqs are skipped; it returns
// the seqs inserted.
func (s *Service) insertPoints(ctx context.Context, tx *db.Tx, trip string, rev int64, pts []Point) (map[int64]bool, error) {
	inserted := make(map[int64]bool, len(pts))
	if len(pts) == 0 {
		return inserted, nil
	}
	buf := make([]byte, 0, len(pts)*64)
	buf = append(buf, '[')
	for i, p := range pts {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '[')
		buf = strconv.AppendInt(buf, p.Seq, 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.Lat, 'g', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.Lng, 'g', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.AccuracyM, 'g', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, db.Micros(p.At), 10)
		buf = append(buf, ']')
	}
	buf = append(buf, ']')
	q := insertPointsSQLite
	if tx.Dialect() == db.Postgres {
		q = insertPointsPostgres
	}
	rows, err := tx.Query(ctx, q, trip, rev, string(buf))
	if err != nil {
		return nil, fmt.Errorf("guardian: insert points: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, fmt.Errorf("guardian: insert points: %w", err)
		}
		inserted[seq] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("guardian: insert points: %w", err)
	}
	return inserted, nil
}

// The one dialect-specific statement of the feature: JSON table functions
// differ. ("WHERE true" lets SQLite parse ON CONFLICT after a SELECT.)
const (
	insertPointsSQLite = `INSERT INTO trip_points (trip_id, seq, rev, lat, lng, accuracy_m, at)
		SELECT $1, value ->> 0, $2, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each($3) WHERE true
		ON CONFLICT (trip_id, seq) DO NOTHING RETURNING seq`
	insertPointsPostgres = `INSERT INTO trip_points (trip_id, seq, rev, lat, lng, accuracy_m, at)
		SELECT $1, (e ->> 0)::bigint, $2, (e ->> 1)::float8, (e ->> 2)::float8, (e ->> 3)::float8, (e ->> 4)::bigint
		FROM jsonb_array_elements($3::jsonb) AS e
		ON CONFLICT (trip_id, seq) DO NOTHING RETURNING seq`
)

// Track returns the trip's points in capture order for its traveller or a
// guardian (police use PoliceRead). Errors: trip_not_found.
func (s *Service) Track(ctx context.Context, p account.Principal, tripID string) ([]Point, error) {
	if _, _, err := s.access(ctx, s.db, p, tripID); err != nil {
		return nil, err
	}
	return s.points(ctx, s.db, tripID, 0, 0)
}

// points reads a trip's points with rev > afterRev (0: all), captured at or
// before until (0: any), in capture order.
func (s *Service) points(ctx context.Context, q db.Querier, tripID string, afterRev, until int64) ([]Point, error) {
	query := "SELECT seq, lat, lng, accuracy_m, at FROM trip_points WHERE trip_id = $1 AND rev > $2"
	args := []any{tripID, afterRev}
	if until > 0 {
		query += " AND at <= $3"
		args = append(args, until)
	}
	rows, err := q.Query(ctx, query+" ORDER BY at, seq", args...)
	if err != nil {
		return nil, fmt.Errorf("guardian: read points: %w", err)
	}
	defer rows.Close()
	out := []Point{}
	for rows.Next() {
		var p Point
		var at int64
		if err := rows.Scan(&p.Seq, &p.Lat, &p.Lng, &p.AccuracyM, &at); err != nil {
			return nil, fmt.Errorf("guardian: read points: %w", err)
		}
		p.At = db.Time(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

package guardian

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"open110/account"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
)

// Live view timings. The ping interval stays below common proxy idle
// timeouts (60 s); the poll is the safety net when a wake-up is lost.
const (
	feedPing      = 15 * time.Second
	feedWriteWait = 10 * time.Second
	feedPoll      = 5 * time.Second
	feedReadLimit = 1024 // viewers send nothing but control frames
)

// Update is one message of the live view: the first is a "snapshot" (the
// whole trip), then "update"s with what changed since the previous cursor.
type Update struct {
	Type   string  `json:"type"` // snapshot, update
	Cursor int64   `json:"cursor"`
	Trip   Trip    `json:"trip"`
	Points []Point `json:"points"`
	Media  []Media `json:"media"`
	Events []Event `json:"events"`
	// Partial: trip holds only the live fields (state, last position,
	// silent); the guardians, alarms and the rest are as in the last full one.
	Partial bool `json:"partial,omitempty"`
}

// Changes returns what changed on a trip after cursor for its traveller or
// a guardian (cursor 0: everything). Errors: trip_not_found (also once a
// guardian's link is revoked).
func (s *Service) Changes(ctx context.Context, p account.Principal, tripID string, cursor int64) (Update, error) {
	r, role, err := s.access(ctx, s.db, p, tripID)
	if err != nil {
		return Update{}, err
	}
	u := Update{Type: "update", Cursor: r.Rev}
	if cursor <= 0 {
		u.Type = "snapshot"
	}
	if r.Rev <= cursor {
		return u, nil
	}
	// Read only up to the rev we saw, so the next cursor misses nothing that
	// commits meanwhile.
	if u.Points, err = s.pointsUpTo(ctx, tripID, cursor, r.Rev); err != nil {
		return u, err
	}
	if u.Media, err = s.media(ctx, s.db, tripID, cursor, 0); err != nil {
		return u, err
	}
	u.Media = trimRev(u.Media, r.Rev)
	if u.Events, err = s.events(ctx, tripID, role, cursor, r.Rev); err != nil {
		return u, err
	}
	// The trip summary changes only with an event (state, prompts, alarms,
	// guardians); a points-only update carries the points alone, which
	// keeps the hot path of a busy trip at four reads.
	if u.Type == "snapshot" || len(u.Events) > 0 || len(u.Media) > 0 {
		if u.Trip, err = s.view(ctx, s.db, r, role); err != nil {
			return u, err
		}
	} else {
		u.Trip = Trip{ID: r.ID, State: r.State, Role: role, Cursor: r.Rev, Last: r.last(), LastSeenAt: db.Time(r.LastSeenAt),
			Silent: r.SilentStage > 0, Mode: Mode(r.Mode), StartedAt: db.Time(r.StartedAt), TravellerID: r.OwnerID, TravellerPhone: r.OwnerPhone}
		u.Partial = true
	}
	return u, nil
}

func trimRev(ms []Media, upTo int64) []Media {
	out := ms[:0]
	for _, m := range ms {
		if m.Rev <= upTo {
			out = append(out, m)
		}
	}
	return out
}

func (s *Service) pointsUpTo(ctx context.Context, tripID string, after, upTo int64) ([]Point, error) {
	rows, err := s.db.Query(ctx, "SELECT seq, lat, lng, accuracy_m, at FROM trip_points WHERE trip_id = $1 AND rev > $2 AND rev <= $3 ORDER BY at, seq",
		tripID, after, upTo)
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

func (s *Service) events(ctx context.Context, tripID, role string, after, upTo int64) ([]Event, error) {
	rows, err := s.db.Query(ctx, "SELECT rev, type, audience, at, actor, data FROM trip_events WHERE trip_id = $1 AND rev > $2 AND rev <= $3 ORDER BY rev",
		tripID, after, upTo)
	if err != nil {
		return nil, fmt.Errorf("guardian: read events: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var audience, data string
		var at int64
		if err := rows.Scan(&e.Rev, &e.Type, &audience, &at, &e.Actor, &data); err != nil {
			return nil, fmt.Errorf("guardian: read events: %w", err)
		}
		if !visibleEvent(role, audience) {
			continue
		}
		e.At = db.Time(at)
		if data != "{}" && data != "" {
			_ = json.Unmarshal([]byte(data), &e.Data)
		}
		if role == RoleTraveller {
			e.Actor = ""
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// handleFeed is the live view of a trip for its traveller and guardians:
// GET /api/v1/trips/{id}/feed[?cursor=N] (WebSocket). Without a cursor it
// starts with a snapshot; then one update per change, in order, without
// gaps. The bus only wakes it; what it sends is read from the database.
func (s *Service) handleFeed(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	var cursor int64
	if c := r.URL.Query().Get("cursor"); c != "" {
		if cursor, err = strconv.ParseInt(c, 10, 64); err != nil || cursor < 0 {
			api.Fail(w, r, apperr.Invalidf("invalid_cursor", "cursor must be a non-negative integer"))
			return
		}
	}
	if _, _, err := s.access(r.Context(), s.db, p, id); err != nil {
		api.Fail(w, r, err)
		return
	}
	conn, err := websocket.Accept(w, r, nil) // same origin only (the library's default)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(feedReadLimit)
	s.serveFeed(r.Context(), conn, p, id, cursor)
}

func (s *Service) serveFeed(ctx context.Context, conn *websocket.Conn, p account.Principal, id string, cursor int64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := make(chan struct{}, 1)
	unsub, err := s.bus.Subscribe(subjectTrip+id, func(string, []byte) {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if err != nil {
		s.log.Warn("guardian: feed subscribe failed; polling only", "err", err)
	} else {
		defer unsub()
	}
	// Reader: viewers send nothing; reading processes control frames
	// (pongs, close) and ends the connection on error.
	go func() {
		defer cancel()
		rate := api.NewMessageRate(2, 10) // viewers have nothing to say
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				return
			}
			if !rate.Allow() {
				conn.Close(api.StatusTooManyMessages, "too many messages")
				return
			}
		}
	}()
	// Pinger: finds dead peers.
	go func() {
		t := time.NewTicker(feedPing)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, c := context.WithTimeout(ctx, feedWriteWait)
				err := conn.Ping(pctx)
				c()
				if err != nil {
					cancel()
					return
				}
			}
		}
	}()
	// Writer: the only goroutine that writes data frames.
	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, c := context.WithTimeout(ctx, feedWriteWait)
		defer c()
		return conn.Write(wctx, websocket.MessageText, b)
	}
	poll := time.NewTicker(feedPoll)
	defer poll.Stop()
	for {
		u, err := s.Changes(ctx, p, id, cursor)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if apperr.From(err).Kind != apperr.Internal {
				// No longer allowed (revoked) or gone (purged): say why and close.
				_ = write(map[string]any{"type": "error", "error": map[string]string{"code": apperr.CodeOf(err), "message": apperr.From(err).Message}})
				conn.Close(4403, apperr.CodeOf(err))
				return
			}
			s.log.Error("guardian: feed read", "err", err)
		} else if u.Cursor > cursor {
			if err := write(u); err != nil {
				return
			}
			cursor = u.Cursor
		}
		select {
		case <-ctx.Done():
			conn.Close(websocket.StatusNormalClosure, "")
			return
		case <-wake:
		case <-poll.C:
		}
	}
}

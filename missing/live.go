package missing

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"open110/account"
	"open110/platform/api"
	"open110/platform/apperr"
)

// Live feed timings. The ping keeps proxies from closing an idle socket
// (common idle timeouts are 60 s) and finds dead peers; the poll is the
// safety net when a bus wake-up is lost.
const (
	livePing      = 20 * time.Second
	liveWriteWait = 10 * time.Second
	livePoll      = 5 * time.Second
	liveReadLimit = 1024 // clients send nothing we need
	livePage      = 500
)

// consoleKinds are the events a centre's officers follow.
var consoleKinds = []string{evSubmitted, evState, evMedia, evSighting, evTriage, evProgress}

// ownKinds are the events an initiator follows about their own notices.
var ownKinds = []string{evSubmitted, evState, evProgress}

// LiveMessage is one WebSocket message: "hello" with the cursor to resume
// from, then "event" messages in seq order. Events are wake-ups with
// enough to show a toast; clients re-read the notice, queue or inbox over
// HTTP (the database is the source of truth).
type LiveMessage struct {
	Type   string `json:"type"`
	Cursor int64  `json:"cursor"`
	Event  *event `json:"event,omitempty"`
}

// handleLive: GET /api/v1/missing/live[?cursor=N] (WebSocket). Officers get
// their centre's events (the province: all centres); citizens get their own
// notices' state and progress, and the alerts and closures that reach their
// area. Without a cursor the stream starts now.
func (s *Service) handleLive(w http.ResponseWriter, r *http.Request) {
	c, ok := signedIn(w, r)
	if !ok {
		return
	}
	cursor := int64(-1)
	if v := r.URL.Query().Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			api.Fail(w, r, ErrInvalidCursor)
			return
		}
		cursor = n
	}
	conn, err := websocket.Accept(w, r, nil) // same origin only (the library's default)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(liveReadLimit)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	wake := make(chan struct{}, 1)
	notify := func(string, []byte) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var subjects []string
	if c.IsOfficer() {
		if c.Center == account.ProvinceCenter {
			subjects = []string{subjCenter + ">"}
		} else {
			subjects = []string{subjCenter + c.Center}
		}
	} else {
		subjects = []string{subjCitizen + c.ID, subjBroadcast}
	}
	for _, subj := range subjects {
		if unsub, err := s.bus.Subscribe(subj, notify); err == nil {
			defer unsub()
		} else {
			s.log.Warn("missing: live subscribe failed; polling only", "err", err)
		}
	}

	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, done := context.WithTimeout(ctx, liveWriteWait)
		defer done()
		return conn.Write(wctx, websocket.MessageText, b)
	}
	go func() { // reader: only to notice the close
		defer cancel()
		rate := api.NewMessageRate(2, 10) // subscribers have nothing to say
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
	go func() { // pinger
		t := time.NewTicker(livePing)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, done := context.WithTimeout(ctx, liveWriteWait)
				err := conn.Ping(pctx)
				done()
				if err != nil {
					cancel()
					return
				}
			}
		}
	}()

	if cursor < 0 {
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM missing_events").Scan(&cursor); err != nil {
			conn.Close(websocket.StatusInternalError, "internal")
			return
		}
	}
	if err := write(LiveMessage{Type: "hello", Cursor: cursor}); err != nil {
		return
	}
	poll := time.NewTicker(livePoll)
	defer poll.Stop()
	for {
		evs, err := s.LiveEvents(ctx, c, cursor)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("missing: live events", "err", err)
				conn.Close(websocket.StatusInternalError, apperr.CodeOf(err))
			}
			return
		}
		for i := range evs {
			cursor = evs[i].Seq
			if err := write(LiveMessage{Type: "event", Cursor: cursor, Event: &evs[i]}); err != nil {
				return
			}
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

// LiveEvents returns the events after cursor that the caller follows, in
// seq order (see handleLive).
func (s *Service) LiveEvents(ctx context.Context, c Caller, cursor int64) ([]event, error) {
	if c.IsOfficer() {
		ph, args := inList(2, consoleKinds)
		q := "WHERE seq > $1 AND kind IN (" + ph + ")"
		all := append([]any{cursor}, args...)
		if c.Center != account.ProvinceCenter {
			q += " AND center_code = $" + strconv.Itoa(len(all)+1)
			all = append(all, c.Center)
		}
		return queryEvents(ctx, s.db, q+" ORDER BY seq LIMIT "+strconv.Itoa(livePage), all...)
	}
	ph, args := inList(3, ownKinds)
	own, err := queryEvents(ctx, s.db, "WHERE seq > $1 AND citizen_id = $2 AND kind IN ("+ph+") ORDER BY seq LIMIT "+strconv.Itoa(livePage),
		append([]any{cursor, c.ID}, args...)...)
	if err != nil {
		return nil, err
	}
	o, err := getOptin(ctx, s.db, c.ID)
	if errors.Is(err, ErrNotOptedIn) {
		return own, nil
	}
	if err != nil {
		return nil, err
	}
	alerts, err := s.inboxEvents(ctx, o, cursor)
	if err != nil {
		return nil, err
	}
	out := append(own, alerts...)
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

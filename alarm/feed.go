package alarm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"open110/account"
	"open110/platform/api"
	"open110/platform/apperr"
)

// Feed timings. The ping interval is below common proxy idle timeouts (60 s)
// and keeps the presence stamps fresh well within DispatcherGrace.
const (
	feedPing      = 10 * time.Second
	feedPingWait  = 10 * time.Second
	feedWriteWait = 10 * time.Second
	feedPoll      = 5 * time.Second // safety net: re-read the DB even without wake-ups
	feedReadLimit = 4096            // clients only send small acks
	feedPage      = 200
	// Each ack is a database write. A console acks as messages arrive
	// (a busy console sees maybe a few per second); 10/s with a burst of
	// 50 leaves room, a flood closes the socket (the client reconnects).
	feedMsgRate  = 10
	feedMsgBurst = 50
)

// feedIn is what a client may send on a feed.
type feedIn struct {
	Type          string `json:"type"` // "ack"
	AlarmID       string `json:"alarm_id"`
	DeliveredUpTo int64  `json:"delivered_upto"`
	ReadUpTo      int64  `json:"read_upto"`
}

// handleFeed is the console's live feed: GET /api/v1/alarms/feed[?cursor=N]
// (WebSocket). Without a cursor it starts with a snapshot of the live
// alarms and the cursor to follow; with one it resumes after it. Then one
// {"type":"event"} per event in seq order, without gaps or duplicates.
func (s *Service) handleFeed(w http.ResponseWriter, r *http.Request) {
	p, err := account.RequireOfficer(r, account.Dispatcher, account.Supervisor, account.Admin)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	s.serveFeed(w, r, p, "")
}

// handleAlarmFeed follows one alarm: GET /api/v1/alarms/{id}/feed
// (WebSocket) — the caller's live view (state, chat, receipts), or an
// officer's view of one alarm.
func (s *Service) handleAlarmFeed(w http.ResponseWriter, r *http.Request) {
	p, err := account.Require(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := s.Get(r.Context(), p, id); err != nil {
		api.Fail(w, r, err)
		return
	}
	s.serveFeed(w, r, p, id)
}

func (s *Service) serveFeed(w http.ResponseWriter, r *http.Request, p account.Principal, alarmID string) {
	var cursor int64 = -1
	if r.URL.Query().Has("cursor") {
		c, err := intParam(r, "cursor")
		if err != nil {
			api.Fail(w, r, ErrInvalidCursor)
			return
		}
		cursor = c
	}
	conn, err := websocket.Accept(w, r, nil) // same-origin only (the library's default)
	if err != nil {
		return // Accept has answered the client
	}
	defer conn.CloseNow()
	conn.SetReadLimit(feedReadLimit)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	wake := make(chan struct{}, 1)
	subject := subjectAlarm + alarmID
	if alarmID == "" {
		subject = subjectCenter + p.Center
		if s.centersOf(p) == nil || !p.IsOfficer(account.Dispatcher) {
			subject = subjectCenter + ">"
		}
	}
	unsub, err := s.bus.Subscribe(subject, func(string, []byte) {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if err != nil {
		// Without wake-ups the poll still delivers everything, only slower.
		s.log.Warn("alarm: feed subscribe failed; polling only", "err", err)
	} else {
		defer unsub()
	}

	presence := func(ctx context.Context) {
		var err error
		if alarmID == "" {
			err = s.touchConsole(ctx, p.Username)
		} else if p.IsCitizen() {
			err = s.touchCallerConn(ctx, alarmID)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Warn("alarm: presence", "err", err)
		}
	}
	if alarmID == "" {
		s.consoleOpen(p.Username, 1)
		defer s.consoleOpen(p.Username, -1)
	} else if p.IsCitizen() {
		if err := s.CallerPresent(ctx, alarmID); err != nil {
			s.log.Warn("alarm: caller presence", "err", err)
		}
	}
	presence(ctx)
	defer presence(context.WithoutCancel(ctx)) // the grace / abandonment clock starts now

	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, c := context.WithTimeout(ctx, feedWriteWait)
		defer c()
		return conn.Write(wctx, websocket.MessageText, b)
	}

	// Reader: acks from the client; any read error ends the connection.
	go func() {
		defer cancel()
		rate := api.NewMessageRate(feedMsgRate, feedMsgBurst)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if !rate.Allow() {
				conn.Close(api.StatusTooManyMessages, "too many messages")
				return
			}
			var in feedIn
			if err := api.DecodeBytes(b, &in); err != nil || in.Type != "ack" {
				continue // tolerate unknown client messages; nothing to do
			}
			id := in.AlarmID
			if id == "" {
				id = alarmID
			}
			if _, err := s.Ack(ctx, p, id, in.DeliveredUpTo, in.ReadUpTo); err != nil && !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
				s.log.Warn("alarm: feed ack", "err", err)
			}
		}
	}()
	// Pinger: detects dead peers and keeps presence fresh.
	go func() {
		t := time.NewTicker(feedPing)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, c := context.WithTimeout(ctx, feedPingWait)
				err := conn.Ping(pctx)
				c()
				if err != nil {
					cancel()
					return
				}
				presence(ctx)
			}
		}
	}()

	// Writer: the only goroutine that writes data frames.
	if cursor < 0 {
		snap, err := s.feedSnapshot(ctx, p, alarmID)
		if err != nil {
			_ = write(map[string]any{"type": "error", "error": map[string]string{"code": apperr.CodeOf(err), "message": apperr.From(err).Message}})
			conn.Close(websocket.StatusPolicyViolation, apperr.CodeOf(err))
			return
		}
		cursor = snap["cursor"].(int64)
		if err := write(snap); err != nil {
			return
		}
	}
	synced := false
	poll := time.NewTicker(feedPoll)
	defer poll.Stop()
	for {
		es, err := s.Events(ctx, p, alarmID, cursor, feedPage)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if apperr.From(err).Kind != apperr.Internal {
				_ = write(map[string]any{"type": "error", "error": map[string]string{"code": apperr.CodeOf(err), "message": apperr.From(err).Message}})
				conn.Close(websocket.StatusPolicyViolation, apperr.CodeOf(err))
				return
			}
			s.log.Error("alarm: feed read", "err", err)
		}
		for _, e := range es {
			if err := write(map[string]any{"type": "event", "event": e}); err != nil {
				return
			}
			cursor = e.Seq
		}
		if len(es) == feedPage {
			continue
		}
		if !synced {
			synced = true
			if err := write(map[string]any{"type": "synced", "cursor": cursor}); err != nil {
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

func (s *Service) feedSnapshot(ctx context.Context, p account.Principal, alarmID string) (map[string]any, error) {
	if alarmID == "" {
		snap, err := s.Snapshot(ctx, p)
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "snapshot", "cursor": snap.Cursor, "alarms": snap.Alarms}, nil
	}
	head, err := s.Head(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Get(ctx, p, alarmID)
	if err != nil {
		return nil, err
	}
	ms, err := s.Messages(ctx, p, alarmID, 0)
	if err != nil {
		return nil, err
	}
	return map[string]any{"type": "snapshot", "cursor": head, "alarm": a, "messages": ms}, nil
}

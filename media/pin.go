package media

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"

	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
)

// Media pinning. An alarm's SFU room lives in one process, so every
// participant's signalling socket must reach that process whichever node
// the load balancer picked. The node that first needs a room claims it in
// the shared database (media_rooms); a node asked for a room another live
// node holds forwards the WebSocket to it (a reverse proxy carrying the
// caller's own credentials plus a signed note of the client's IP). The
// holder refreshes its claims every PinInterval; a claim not refreshed for
// PinTTL belongs to a dead node and the next request takes it over, so
// participants who reconnect after a crash meet in a new room on a live
// node and recording goes on there in a new segment.
//
// On one node the same code runs: its claims are always its own.

// holder is the node holding a room, and when it claimed it.
type holder struct {
	NodeID, URL string
	ClaimedAt   int64 // Unix microseconds; fences the holder's release
}

type pins struct {
	db       *db.DB
	now      func() time.Time
	nodeID   string
	nodeURL  func() string
	ttl      time.Duration
	interval time.Duration

	// dbUpSince is when this node's heartbeats started succeeding again
	// (Unix nanos; 0 until the first). After an outage every claim looks
	// stale until its holder's next heartbeat: taking rooms over then
	// would move live calls for nothing, so take-overs wait one TTL.
	dbUpSince atomic.Int64
}

func newNodeID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// claim makes this node the holder of alarmID's room unless another node
// holds it with a fresh heartbeat; it returns the holder either way.
func (p *pins) claim(ctx context.Context, alarmID string) (holder, error) {
	now := p.now()
	me := holder{NodeID: p.nodeID, URL: p.nodeURL()}
	stale := now.Add(-p.ttl)
	if up := p.dbUpSince.Load(); up == 0 || now.Sub(time.Unix(0, up)) < p.ttl {
		// Not yet sure the database has been up for a TTL: no take-overs
		// (a stale claim stays its holder's; its clients retry).
		stale = time.Time{}
	}
	var h holder
	err := p.db.InTx(ctx, func(tx *db.Tx) error {
		// One statement decides atomically on both dialects: insert, or
		// take over a claim that is ours already or stale.
		if _, err := tx.Exec(ctx, `INSERT INTO media_rooms (alarm_id, node_id, node_url, claimed_at, heartbeat_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (alarm_id) DO UPDATE SET node_id = excluded.node_id, node_url = excluded.node_url,
				claimed_at = excluded.claimed_at, heartbeat_at = excluded.heartbeat_at
			WHERE media_rooms.node_id = excluded.node_id OR media_rooms.heartbeat_at < $5`,
			alarmID, me.NodeID, me.URL, db.Micros(now), staleMicros(stale)); err != nil {
			return fmt.Errorf("media: claim room: %w", err)
		}
		if err := tx.QueryRow(ctx, "SELECT node_id, node_url, claimed_at FROM media_rooms WHERE alarm_id = $1", alarmID).Scan(&h.NodeID, &h.URL, &h.ClaimedAt); err != nil {
			return fmt.Errorf("media: read room claim: %w", err)
		}
		return nil
	})
	return h, err
}

// holderOf returns the node holding alarmID's room with a fresh claim.
func (p *pins) holderOf(ctx context.Context, alarmID string) (holder, bool, error) {
	var h holder
	err := p.db.QueryRow(ctx, "SELECT node_id, node_url, claimed_at FROM media_rooms WHERE alarm_id = $1 AND heartbeat_at >= $2",
		alarmID, db.Micros(p.now().Add(-p.ttl))).Scan(&h.NodeID, &h.URL, &h.ClaimedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return holder{}, false, nil
	}
	if err != nil {
		return holder{}, false, fmt.Errorf("media: room claim: %w", err)
	}
	return h, true, nil
}

// heldElsewhere reports whether another live node holds alarmID's room
// (a claim with a fresh heartbeat).
func (p *pins) heldElsewhere(ctx context.Context, alarmID string) (bool, error) {
	var n int
	err := p.db.QueryRow(ctx, "SELECT COUNT(*) FROM media_rooms WHERE alarm_id = $1 AND node_id <> $2 AND heartbeat_at >= $3",
		alarmID, p.nodeID, db.Micros(p.now().Add(-p.ttl))).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("media: room claim: %w", err)
	}
	return n > 0, nil
}

func staleMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0 // no heartbeat is older than the epoch
	}
	return db.Micros(t)
}

// release gives up this node's claim on alarmID's room made at claimedAt
// (the room ended); a newer claim stays.
func (p *pins) release(ctx context.Context, alarmID string, claimedAt int64) error {
	_, err := p.db.Exec(ctx, "DELETE FROM media_rooms WHERE alarm_id = $1 AND node_id = $2 AND claimed_at = $3", alarmID, p.nodeID, claimedAt)
	if err != nil {
		return fmt.Errorf("media: release room: %w", err)
	}
	return nil
}

// releaseIfIdle drops this node's claim on alarmID if it was made before
// cutoff (so a claim whose room is being set up this instant stays).
func (p *pins) releaseIfIdle(ctx context.Context, alarmID string, cutoff time.Time) error {
	_, err := p.db.Exec(ctx, "DELETE FROM media_rooms WHERE alarm_id = $1 AND node_id = $2 AND claimed_at < $3",
		alarmID, p.nodeID, db.Micros(cutoff))
	if err != nil {
		return fmt.Errorf("media: release idle room claim: %w", err)
	}
	return nil
}

// heartbeat refreshes every claim of this node and returns the alarms this
// node still holds (a claim taken over while this node was cut off is not
// among them: its room must end here).
func (p *pins) heartbeat(ctx context.Context) (map[string]bool, error) {
	now := p.now()
	if _, err := p.db.Exec(ctx, "UPDATE media_rooms SET heartbeat_at = $1 WHERE node_id = $2", db.Micros(now), p.nodeID); err != nil {
		p.dbUpSince.Store(0)
		return nil, fmt.Errorf("media: room heartbeat: %w", err)
	}
	p.dbUpSince.CompareAndSwap(0, now.UnixNano())
	// Claims of nodes long dead (no heartbeat for 100 TTLs) are nobody's.
	if _, err := p.db.Exec(ctx, "DELETE FROM media_rooms WHERE heartbeat_at < $1", db.Micros(now.Add(-100*p.ttl))); err != nil {
		return nil, fmt.Errorf("media: drop dead claims: %w", err)
	}
	rows, err := p.db.Query(ctx, "SELECT alarm_id FROM media_rooms WHERE node_id = $1", p.nodeID)
	if err != nil {
		return nil, fmt.Errorf("media: list held rooms: %w", err)
	}
	defer rows.Close()
	held := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("media: list held rooms: %w", err)
		}
		held[id] = true
	}
	return held, rows.Err()
}

// forgetPreviousLife drops claims left by an earlier process at this
// node's URL (it crashed; its rooms are gone), so participants need not
// wait out the TTL when the node comes back.
//
// Two nodes must never share a --node-url: each start would drop the
// other's claims (the count is logged).
func (p *pins) forgetPreviousLife(ctx context.Context) (int64, error) {
	u := p.nodeURL()
	if u == "" {
		return 0, nil
	}
	res, err := p.db.Exec(ctx, "DELETE FROM media_rooms WHERE node_url = $1 AND node_id <> $2", u, p.nodeID)
	if err != nil {
		return 0, fmt.Errorf("media: drop stale room claims: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// runPins keeps this node's claims alive until ctx ends, and ends local
// rooms whose claim another node has taken.
func (s *Service) runPins(ctx context.Context) {
	if n, err := s.pins.forgetPreviousLife(ctx); err != nil {
		s.log.Warn("media pinning", "err", err)
	} else if n > 0 {
		s.log.Info("media pinning: dropped claims left by this node's previous process", "claims", n, "node_url", s.pins.nodeURL())
	}
	t := time.NewTicker(s.pins.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A heartbeat that hangs (a black-holed database) must not stall
		// the loop past the next tick.
		hctx, cancel := context.WithTimeout(ctx, s.pins.interval)
		held, err := s.pins.heartbeat(hctx)
		cancel()
		if err != nil {
			// The database is away: keep serving the rooms we have; the
			// claims are refreshed when it is back (or taken over, and
			// then the check below ends our copies).
			s.log.Warn("media pinning", "err", err)
			continue
		}
		s.mu.Lock()
		var lost []*room
		for id, r := range s.rooms {
			if !held[id] && s.now().Sub(r.created) > s.pins.interval && !r.isClosed() {
				lost = append(lost, r)
			}
		}
		var orphans []string
		for id := range held {
			if _, ok := s.rooms[id]; !ok {
				orphans = append(orphans, id)
			}
		}
		s.mu.Unlock()
		for _, r := range lost {
			s.log.Warn("media room claimed by another node; ending it here", "alarm", r.alarm.ID)
			go r.close(closeMoved)
		}
		// A claim with no room here (the room ended between claim and
		// heartbeat, or its release failed while the database was away).
		// A claim made this instant and not yet a room is re-made by the
		// request that made it, on its next use.
		for _, id := range orphans {
			if err := s.pins.releaseIfIdle(ctx, id, s.now().Add(-s.pins.interval)); err != nil && ctx.Err() == nil {
				s.log.Warn("media pinning", "err", err)
			}
		}
	}
}

// closeMoved is the "closed" reason that tells clients to reconnect: the
// room now lives on another node. ("server_shutdown", when this node
// stops, means the same to clients.)
const closeMoved = "moved"

// ErrMediaNodeDown: the node holding the room does not answer; it is
// taken over once its claim goes stale, so the client retries.
var ErrMediaNodeDown = apperr.New(apperr.Unavailable, "media_node_unavailable",
	"the media server for this alarm is not answering; retry in a few seconds").With("retry_after_s", 2)

// place decides where alarmID's signalling socket is served: by
// forwarding to the returned holder, or here — in the live local room
// (claim 0) or in a new one under the claim just made (claim > 0).
func (s *Service) place(ctx context.Context, r *http.Request, a Alarm, viaLink bool) (h *holder, claim int64, err error) {
	s.mu.Lock()
	rm, ok := s.rooms[a.ID]
	s.mu.Unlock()
	if ok && !rm.isClosed() {
		return nil, 0, nil
	}
	if _, ok := rulesFor(a.Kind, viaLink); !ok {
		// No room may start from this connection (the dispatcher of a
		// text alarm), but one a video link started may be live on
		// another node. Nothing is claimed: no room will follow here.
		got, found, err := s.pins.holderOf(ctx, a.ID)
		switch {
		case err != nil:
			return nil, 0, apperr.ErrUnavailable.Wrap(err)
		case !found || got.NodeID == s.pins.nodeID:
			return nil, 0, ErrNoMedia
		case api.Forwarded(r):
			return nil, 0, ErrMediaNodeDown
		}
		return &got, 0, nil
	}
	got, err := s.pins.claim(ctx, a.ID)
	if err != nil {
		return nil, 0, apperr.ErrUnavailable.Wrap(err)
	}
	if got.NodeID == s.pins.nodeID {
		return nil, got.ClaimedAt, nil
	}
	if api.Forwarded(r) {
		// Another node forwarded this to us, believing we hold the room,
		// but a third node has it now: send the client round again rather
		// than forward twice.
		return nil, 0, ErrMediaNodeDown
	}
	return &got, 0, nil
}

// proxyTransport carries forwarded signalling sockets between nodes: never
// through an HTTP proxy from the environment (the URL carries the
// caller's token), and quick to give up on a node that does not answer,
// so the client's retry comes soon.
var proxyTransport = &http.Transport{
	Proxy:                 nil,
	DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	ResponseHeaderTimeout: 5 * time.Second,
	MaxIdleConnsPerHost:   8,
	IdleConnTimeout:       90 * time.Second,
}

// forward proxies the signalling WebSocket to the node holding the room.
func (s *Service) forward(w http.ResponseWriter, r *http.Request, h *holder) {
	target, err := url.Parse(h.URL)
	if err != nil || target.Host == "" {
		api.Fail(w, r, apperr.ErrInternal.Wrap(fmt.Errorf("media: holder %s has a bad URL %q", h.NodeID, h.URL)))
		return
	}
	ip := api.ClientIP(r)
	rp := &httputil.ReverseProxy{
		Transport: proxyTransport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath
			// Keep the Host the browser used: the holder checks the
			// WebSocket's Origin against it.
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(api.ForwardHeader, api.SignForward(s.cfg.NodeKey, pr.In.URL.Path, ip, s.now()))
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			s.log.Warn("media: holder node not answering", "alarm", r.PathValue("id"), "node", h.NodeID, "url", h.URL, "err", err)
			api.Fail(w, r, ErrMediaNodeDown)
		},
	}
	s.forwarded.Add(1)
	rp.ServeHTTP(w, r)
}

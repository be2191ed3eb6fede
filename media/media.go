// Package media is open110's real-time media: WebRTC signalling over a
// WebSocket per alarm, a selective forwarding unit (pion/webrtc v4) in the
// process with one room per alarm, evidence recording of the caller's
// tracks into WebM segments kept in the blob store with SHA-256, one-time
// video links for callers without the app, and an embedded TURN server.
//
// media plugs into alarm: it asks the alarm feature (through the small
// Alarms interface below) who a principal is in an alarm and what kind the
// alarm is; the alarm feature never imports media.
package media

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/db"
	"open110/platform/sms"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the media feature's schema (recorded segments, snapshots,
// video links).
func Migrations() db.Migrations {
	sub, _ := fs.Sub(migrationsFS, "migrations")
	return db.Migrations{Name: "media", FS: sub}
}

// Alarm is what media needs to know about an alarm.
type Alarm struct {
	ID          string
	Kind        string // video|silent|voice|text|sms
	State       string // queued|answered|closed|… (closed rooms are torn down)
	Center      string // centre code
	CallerID    string // citizen ID (for the audit subject); "" for SMS alarms
	CallerPhone string // E.164, where known (target of a video link)
}

// Closed reports whether the alarm is over. (An abandoned alarm is not: it
// returns to the queue when the caller comes back.)
func (a Alarm) Closed() bool {
	switch a.State {
	case "closed", "cancelled":
		return true
	}
	return false
}

// Grant is a principal's access to an alarm.
type Grant struct {
	Role  Role
	Alarm Alarm
}

// Alarms is the alarm feature as media sees it.
type Alarms interface {
	// Access tells what p may do in alarm id: RoleCaller for the citizen who
	// raised it, RoleDispatcher for the dispatcher who answered, RoleObserver
	// for a supervisor (or the centre's dispatchers) who may watch. An alarm
	// p may not see: an error with code not_found (404); p may see it but
	// has no media role: RoleNone.
	Access(ctx context.Context, p account.Principal, id string) (Grant, error)
	// Get returns an alarm without an access check (for video links and
	// housekeeping). Missing: an error with code not_found.
	Get(ctx context.Context, id string) (Alarm, error)
}

// Presence is optionally implemented by Alarms: media reports whether the
// caller's media connection is up, so an alarm whose caller vanished before
// an answer is kept for call-back and returns to the queue when they are
// back.
type Presence interface {
	CallerPresent(ctx context.Context, alarmID string) error
	CallerGone(ctx context.Context, alarmID, reason string) error
}

// Notes is optionally implemented by Alarms: media posts platform notes
// into the alarm's chat ("video link sent").
type Notes interface {
	AddSystemMessage(ctx context.Context, alarmID, actor, text string) error
}

// Config holds the media settings. The zero value works on one machine.
type Config struct {
	// DataDir holds in-progress recording segments (<DataDir>/media/rec).
	DataDir string
	// PublicURL is the base URL citizens open (video links): e.g.
	// "https://110.example.cn". Default: the request's own origin.
	PublicURL string

	// UDPAddr, when set ("0.0.0.0:8112"), carries all WebRTC media on one
	// UDP socket (firewall friendly, and writes are batched with sendmmsg).
	// Empty: one ephemeral UDP port per peer connection (pion's default).
	UDPAddr string
	// TCPAddr, when set, accepts ICE over TCP (RFC 6544, passive) there: the
	// fallback for networks that block UDP.
	TCPAddr string
	// PublicIPs are announced as host candidates instead of the local
	// addresses (a server behind 1:1 NAT).
	PublicIPs []string
	// Loopback includes 127.0.0.1 candidates (tests and single-host demos);
	// LoopbackOnly gathers nothing else.
	Loopback, LoopbackOnly bool

	// TURN: the embedded TURN server listens on TURNAddr (UDP and TCP, same
	// port) when set; TURNSecret signs short-lived credentials (REST style).
	// TURNPublicIP is the relay address announced to clients.
	TURNAddr     string
	TURNSecret   string
	TURNPublicIP string
	TURNRealm    string
	// ICEServers are extra STUN/TURN URLs handed to clients (e.g. a TURN
	// server on TCP/TLS 443). Credentials, if any, are the static ones given.
	ICEServers []ICEServer
	// CredentialTTL is how long TURN credentials last (default 1h).
	CredentialTTL time.Duration

	// SegmentDuration is the target recording segment length (default 10s).
	SegmentDuration time.Duration
	// ConnectTimeout: a caller whose media has not connected by then is told
	// so the app falls back to text and offers 110/12110 (default 8s).
	ConnectTimeout time.Duration
	// LinkTTL: video links expire after it (default 10m).
	LinkTTL time.Duration

	// NodeURL is how the other nodes reach this one (media pinning: they
	// forward an alarm's signalling socket here while this node holds its
	// room). Called when a room is claimed; nil or "" on a single node.
	NodeURL func() string
	// NodeKey signs node-to-node forwarding and playback tickets; every
	// node of a cluster has the same. Default: random (one node alone).
	NodeKey []byte
	// PinInterval is how often this node refreshes its room claims
	// (default 1.5s); PinTTL is how long a claim lives without one before
	// another node may take the room over (default 5s).
	PinInterval, PinTTL time.Duration
}

func (c *Config) defaults() {
	if c.SegmentDuration <= 0 {
		c.SegmentDuration = 10 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 8 * time.Second
	}
	if c.LinkTTL <= 0 {
		c.LinkTTL = 10 * time.Minute
	}
	if c.CredentialTTL <= 0 {
		c.CredentialTTL = time.Hour
	}
	if c.PinInterval <= 0 {
		c.PinInterval = 1500 * time.Millisecond
	}
	if c.PinTTL <= 0 {
		c.PinTTL = 5 * time.Second
	}
	if c.NodeURL == nil {
		c.NodeURL = func() string { return "" }
	}
	if c.TURNRealm == "" {
		c.TURNRealm = "open110"
	}
}

// Deps are the parts media works with.
type Deps struct {
	DB     *db.DB
	Blob   blob.Store
	Audit  *audit.Log
	Alarms Alarms
	SMS    sms.Sender
	Log    *slog.Logger
	Now    func() time.Time
}

// Service is the media feature.
type Service struct {
	cfg   Config
	d     Deps
	log   *slog.Logger
	now   func() time.Time
	sfu   *sfu
	store *store
	up    *uploader
	turn  *turnServer

	mu    sync.Mutex
	rooms map[string]*room
	pins  *pins

	forwarded atomic.Uint64 // signalling sockets forwarded to the holder node
	linkLimit *api.Limiter

	closeOnce sync.Once
	ice       atomic.Pointer[[]ICEServer] // run-time ICE servers (SetICEServers); nil: cfg.ICEServers
}

// New builds the media service: the SFU's pion API, the upload queue, and
// (when configured) the TURN server and shared UDP/TCP sockets. Close
// releases them.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	cfg.defaults()
	if d.DB == nil || d.Blob == nil || d.Audit == nil || d.Alarms == nil {
		return nil, errors.New("media: DB, Blob, Audit and Alarms are required")
	}
	if len(cfg.NodeKey) == 0 {
		// One process on its own: a key of its own will do.
		cfg.NodeKey = make([]byte, 32)
		_, _ = rand.Read(cfg.NodeKey)
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Service{cfg: cfg, d: d, log: d.Log.With("feature", "media"), now: d.Now, rooms: map[string]*room{},
		linkLimit: api.NewLimiter(30, 10, d.Now)}
	s.store = &store{db: d.DB, now: d.Now}
	s.pins = &pins{db: d.DB, now: d.Now, nodeID: newNodeID(), nodeURL: cfg.NodeURL, ttl: cfg.PinTTL, interval: cfg.PinInterval}
	var err error
	if s.sfu, err = newSFU(cfg, s.log); err != nil {
		return nil, err
	}
	s.up = newUploader(s.store, d.Blob, s.log)
	if cfg.TURNAddr != "" {
		if s.turn, err = startTURN(cfg, s.log); err != nil {
			s.sfu.close()
			s.up.close()
			return nil, err
		}
	}
	if err := s.recoverSegments(ctx); err != nil {
		s.log.Warn("recovering unfinished segments", "err", err)
	}
	return s, nil
}

// Close ends every room (finishing and uploading recordings) and stops the
// sockets and the TURN server.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		rooms := make([]*room, 0, len(s.rooms))
		for _, r := range s.rooms {
			rooms = append(rooms, r)
		}
		s.mu.Unlock()
		// All at once: every participant hears at once that the room
		// moves (and its claim is released), then the uploads finish.
		var wg sync.WaitGroup
		for _, r := range rooms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.close("server_shutdown")
			}()
		}
		wg.Wait()
		s.up.close()
		if s.turn != nil {
			s.turn.close()
		}
		s.sfu.close()
	})
	return nil
}

// Run does background housekeeping until ctx ends: this node's room claims
// are kept alive (see pin.go) and rooms of alarms that have closed are torn
// down (the event-driven path is AlarmClosed).
func (s *Service) Run(ctx context.Context) error {
	pinsDone := make(chan struct{})
	go func() {
		defer close(pinsDone)
		s.runPins(ctx)
	}()
	defer func() { <-pinsDone }()
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		s.mu.Lock()
		ids := make([]string, 0, len(s.rooms))
		for id := range s.rooms {
			ids = append(ids, id)
		}
		s.mu.Unlock()
		for _, id := range ids {
			a, err := s.d.Alarms.Get(ctx, id)
			if err == nil && a.Closed() || apperr.CodeOf(err) == "not_found" {
				s.AlarmClosed(ctx, id)
			}
		}
		s.sweepManifests(ctx)
	}
}

// AlarmClosed ends the alarm's room: peers are told and disconnected, the
// last segment is finished and stored, and the recording manifest is
// appended to the audit chain (once, whichever nodes hear the close). Safe
// to call more than once, on every node, and for alarms that never had
// media. The wiring calls it on the alarm feature's "closed" event.
func (s *Service) AlarmClosed(ctx context.Context, alarmID string) {
	s.mu.Lock()
	r := s.rooms[alarmID]
	s.mu.Unlock()
	if r != nil {
		r.close("alarm_closed") // returns once the last segment is stored
	}
	// The live node holding the room writes the manifest once its last
	// segment is stored. With no live holder (its node died), any node
	// writes what is stored; media_manifests keeps it to one. (After a
	// local close our claim is gone; a claim still live elsewhere means
	// another node had the room too, and its close writes.)
	elsewhere, err := s.pins.heldElsewhere(ctx, alarmID)
	if err != nil {
		s.log.Error("recording manifest: checking the room's holder", "alarm", alarmID, "err", err)
		return // the manifest sweep in Run tries again
	}
	if elsewhere {
		return
	}
	if err := s.writeManifest(ctx, alarmID); err != nil {
		s.log.Error("recording manifest", "alarm", alarmID, "err", err)
	}
}

// AlarmAnswered tells the room that a dispatcher answered, so the caller's
// page can show it. The wiring calls it on the alarm feature's "answered"
// event; media also learns of the answer when the dispatcher connects.
func (s *Service) AlarmAnswered(alarmID string) {
	s.mu.Lock()
	r := s.rooms[alarmID]
	s.mu.Unlock()
	if r != nil {
		r.broadcast(signal{Type: "state", State: "answered"})
	}
}

// roomFor returns the live room of an alarm. It creates one only for a
// caller that has just claimed the room (claim > 0, see place); without a
// claim, or when the room it found is closing, it answers errRoomGone and
// the caller places the connection again.
func (s *Service) roomFor(ctx context.Context, a Alarm, viaLink bool, claim int64) (*room, error) {
	s.mu.Lock()
	if r, ok := s.rooms[a.ID]; ok && !r.isClosed() {
		if claim > r.claim.Load() {
			r.claim.Store(claim) // see below
		}
		s.mu.Unlock()
		if viaLink {
			r.setLink()
		}
		return r, nil
	}
	s.mu.Unlock()
	if _, ok := rulesFor(a.Kind, viaLink); !ok {
		return nil, ErrNoMedia
	}
	if claim == 0 {
		return nil, errRoomGone
	}
	// The next segment number, read before taking s.mu: a slow database
	// must not hold up every other room's bookkeeping.
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	seq, err := s.store.nextSeq(qctx, a.ID)
	cancel()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.rooms[a.ID]; ok && !r.isClosed() {
		// Another participant made it meanwhile, under an earlier claim of
		// ours that ours just replaced: the room now answers for the new
		// one, so its release deletes the claim that stands.
		if claim > r.claim.Load() {
			r.claim.Store(claim)
		}
		return r, nil
	}
	r := newRoom(s, a, viaLink, claim, seq)
	s.rooms[a.ID] = r
	return r, nil
}

// dropRoom forgets an ended room and gives up its claim, so the next
// participant's node may hold the alarm's next room.
func (s *Service) dropRoom(r *room) {
	s.mu.Lock()
	if s.rooms[r.alarm.ID] == r {
		delete(s.rooms, r.alarm.ID)
	}
	s.mu.Unlock()
	s.releaseClaim(r)
}

// releaseClaim gives up the claim this room was made under — only that
// one: a newer claim (a new room here, or another node's) stays.
func (s *Service) releaseClaim(r *room) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.pins.release(ctx, r.alarm.ID, r.claim.Load()); err != nil {
		// The claim goes stale and is taken over, or is dropped by the
		// next heartbeat as an orphan.
		s.log.Warn("media pinning", "alarm", r.alarm.ID, "err", err)
	}
}

// Stats is a snapshot of the SFU's counters (for /metrics and benchmarks).
type Stats struct {
	Rooms            int
	Participants     int
	PacketsIn        uint64
	PacketsOut       uint64
	BytesOut         uint64
	SegmentsUploaded uint64
	Forwarded        uint64 // signalling sockets forwarded to the node holding the room
}

// Stats returns the current counters.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	st := Stats{Rooms: len(s.rooms)}
	for _, r := range s.rooms {
		st.Participants += r.participantCount()
	}
	s.mu.Unlock()
	st.PacketsIn = s.sfu.packetsIn.Load()
	st.PacketsOut = s.sfu.packetsOut.Load()
	st.BytesOut = s.sfu.bytesOut.Load()
	st.SegmentsUploaded = s.up.uploaded.Load()
	st.Forwarded = s.forwarded.Load()
	return st
}

// Errors.
var (
	// errRoomGone: the room found is closing (it moves, or the alarm
	// ended); the connection is placed again.
	errRoomGone     = apperr.New(apperr.Unavailable, "room_moved", "the media room moved; reconnect")
	ErrNoMedia      = apperr.New(apperr.Conflict, "no_media", "this alarm has no live media (text and SMS alarms need a video link)")
	ErrNotInAlarm   = apperr.New(apperr.Forbidden, "not_in_alarm", "you have no media role in this alarm")
	ErrAlarmClosed  = apperr.New(apperr.Conflict, "alarm_closed", "the alarm is closed")
	ErrLinkInvalid  = apperr.New(apperr.NotFound, "link_invalid", "this video link is invalid, used or expired")
	ErrConsent      = apperr.New(apperr.Invalid, "consent_required", "the caller must consent to stream video")
	ErrNoRecording  = apperr.New(apperr.NotFound, "recording_not_found", "no such recording segment")
	ErrReasonNeeded = apperr.New(apperr.Invalid, "reason_required", "give a reason for viewing evidence")
)

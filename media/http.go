package media

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"open110/account"
	"open110/audit"
	"open110/platform/api"
	"open110/platform/apperr"
	"open110/platform/db"
)

// Register adds the media routes to mux.
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/alarms/{id}/rtc", s.handleRTC)
	mux.HandleFunc("GET /api/v1/media/ice-servers", s.handleICEServers)
	mux.HandleFunc("POST /api/v1/alarms/{id}/video-link", s.handleSendLink)
	mux.HandleFunc("GET /api/v1/media/links/{token}", s.handleLinkStatus)
	mux.HandleFunc("POST /api/v1/media/links/{token}/claim", s.handleClaimLink)
	mux.HandleFunc("GET /api/v1/alarms/{id}/recordings", s.handleRecordings)
	mux.HandleFunc("POST /api/v1/alarms/{id}/recordings/play", s.handlePlay)
	mux.HandleFunc("GET /api/v1/media/play/{ticket}", s.handlePlayback)
	mux.HandleFunc("POST /api/v1/alarms/{id}/snapshots", s.handleSnapshot)
}

// officerGrant checks that p is an officer with a dispatcher or observer
// role in the alarm (evidence is for officers, not callers).
func (s *Service) officerGrant(r *http.Request, alarmID string) (account.Principal, Grant, error) {
	p, err := account.RequireOfficer(r)
	if err != nil {
		return p, Grant{}, err
	}
	g, err := s.d.Alarms.Access(r.Context(), p, alarmID)
	if err != nil {
		return p, g, err
	}
	if g.Role != RoleDispatcher && g.Role != RoleObserver {
		return p, g, ErrNotInAlarm
	}
	return p, g, nil
}

// GET /api/v1/alarms/{id}/recordings → {"segments":[…],"snapshots":[…]}
// (metadata only; playing writes the audit entry).
func (s *Service) handleRecordings(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, _, err := s.officerGrant(r, id); err != nil {
		api.Fail(w, r, err)
		return
	}
	segs, err := s.store.segments(r.Context(), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	snaps, err := s.store.snapshots(r.Context(), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	live := false
	s.mu.Lock()
	if rm, ok := s.rooms[id]; ok {
		live = !rm.isClosed()
	}
	s.mu.Unlock()
	api.JSON(w, http.StatusOK, map[string]any{"segments": segs, "snapshots": snaps, "recording": live})
}

// A play ticket lets a <video> element (which cannot send a bearer token)
// fetch one stored segment for a short time after an audited play request.
// It is stateless — the segment's hash and an expiry under an HMAC with the
// node key — so any node of a cluster serves it.
//
//	ticket = base64url(sha256[32] ‖ expiry unix seconds[8] ‖ mac[16])
const ticketTTL = 30 * time.Minute

func (s *Service) playTicket(sha string, exp time.Time) (string, error) {
	raw, err := hex.DecodeString(sha)
	if err != nil || len(raw) != sha256.Size {
		return "", fmt.Errorf("media: segment hash %q is not SHA-256 hex", sha)
	}
	b := make([]byte, 0, 56)
	b = append(b, raw...)
	b = binary.BigEndian.AppendUint64(b, uint64(exp.Unix()))
	b = append(b, s.ticketMAC(b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) ticketMAC(body []byte) []byte {
	m := hmac.New(sha256.New, s.cfg.NodeKey)
	m.Write([]byte("open110 play ticket\x00"))
	m.Write(body)
	return m.Sum(nil)[:16]
}

// readTicket returns the segment hash a valid, unexpired ticket names.
func (s *Service) readTicket(tok string) (string, bool) {
	if len(tok) > 100 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 56 {
		return "", false
	}
	body, mac := b[:40], b[40:]
	if !hmac.Equal(mac, s.ticketMAC(body)) {
		return "", false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(body[32:40])), 0)
	if s.now().After(exp) {
		return "", false
	}
	return hex.EncodeToString(body[:32]), true
}

// POST /api/v1/alarms/{id}/recordings/play {"reason","seq"?} → a playlist:
// {"segments":[{seq,start,end,sha256,url}]} with short-lived URLs. One audit
// entry per request, naming the segments.
func (s *Service) handlePlay(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, g, err := s.officerGrant(r, id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var req struct {
		Reason string `json:"reason"`
		Seq    *int   `json:"seq"`
		Track  string `json:"track"`
	}
	if err := api.Decode(w, r, &req, 0); err != nil {
		api.Fail(w, r, err)
		return
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" || len(req.Reason) > 500 {
		api.Fail(w, r, ErrReasonNeeded)
		return
	}
	segs, err := s.store.segments(r.Context(), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	type item struct {
		Segment
		URL string `json:"url"`
	}
	out := []item{}
	var seqs []any
	for _, g := range segs {
		if req.Seq != nil && g.Seq != *req.Seq || req.Track != "" && g.Track != req.Track {
			continue
		}
		tok, err := s.playTicket(g.SHA256, s.now().Add(ticketTTL))
		if err != nil {
			api.Fail(w, r, apperr.ErrInternal.Wrap(err))
			return
		}
		out = append(out, item{Segment: g, URL: "/api/v1/media/play/" + tok})
		seqs = append(seqs, map[string]any{"track": g.Track, "seq": g.Seq, "sha256": g.SHA256})
	}
	if len(out) == 0 {
		api.Fail(w, r, ErrNoRecording)
		return
	}
	subject := ""
	if g.Alarm.CallerID != "" {
		subject = "citizen:" + g.Alarm.CallerID
	}
	if _, err := s.d.Audit.Append(r.Context(), audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r),
		Action: "media.recording.play", Object: "alarm:" + id, Subject: subject, Reason: req.Reason,
		Detail: map[string]any{"segments": seqs}}); err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, map[string]any{"segments": out})
}

// GET /api/v1/media/play/{ticket}: the stored bytes, with Range support.
func (s *Service) handlePlayback(w http.ResponseWriter, r *http.Request) {
	sha, ok := s.readTicket(r.PathValue("ticket"))
	if !ok {
		api.Fail(w, r, apperr.ErrNotFound.Msg("this playback link has expired; request playback again"))
		return
	}
	rc, obj, err := s.d.Blob.Get(r.Context(), sha)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	defer rc.Close()
	// Segments are small (≈ 1.3 MB for 10 s at 1 Mbit/s): read whole, so
	// the blob store's hash check runs before a byte is served, and
	// ServeContent can answer the Range requests media elements make.
	b, err := io.ReadAll(io.LimitReader(rc, obj.Size+1))
	if err != nil {
		api.Fail(w, r, apperr.ErrInternal.Wrap(err))
		return
	}
	w.Header().Set("Content-Type", "video/webm") // tickets are made for recording segments only
	w.Header().Set("Cache-Control", "private, max-age=1800")
	w.Header().Set("ETag", `"`+sha+`"`)
	w.Header().Set("X-Content-SHA256", sha)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

const maxSnapshot = 5 << 20

// POST /api/v1/alarms/{id}/snapshots (body: image/jpeg or image/png, ≤ 5 MB)
// → 201 the snapshot: a still of the live video saved to evidence.
func (s *Service) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, g, err := s.officerGrant(r, id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	ct := r.Header.Get("Content-Type")
	if ct != "image/jpeg" && ct != "image/png" {
		api.Fail(w, r, apperr.ErrUnsupported.Msg("send image/jpeg or image/png"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSnapshot)
	obj, err := s.d.Blob.Put(r.Context(), r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if asMaxBytes(err, &mbe) {
			api.Fail(w, r, apperr.ErrTooLarge.Msg("a snapshot may be at most 5 MB"))
			return
		}
		api.Fail(w, r, err)
		return
	}
	snap := Snapshot{ID: newToken()[:16], AlarmID: id, SHA256: obj.SHA256, Size: obj.Size, ContentType: ct, TakenBy: p.Actor(), TakenAt: s.now().UTC()}
	subject := ""
	if g.Alarm.CallerID != "" {
		subject = "citizen:" + g.Alarm.CallerID
	}
	err = s.d.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if _, err := tx.Exec(r.Context(), `INSERT INTO media_snapshots (id, alarm_id, sha256, size, content_type, taken_by, taken_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, snap.ID, id, snap.SHA256, snap.Size, ct, snap.TakenBy, db.Micros(snap.TakenAt)); err != nil {
			return err
		}
		_, err := s.d.Audit.AppendTx(r.Context(), tx, audit.Entry{Actor: p.Actor(), ActorIP: p.SignInIP, RequestIP: api.ClientIP(r),
			Action: "media.snapshot.save", Object: "alarm:" + id, Subject: subject, Reason: "evidence",
			Detail: map[string]any{"sha256": snap.SHA256, "size": snap.Size}})
		return err
	})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusCreated, snap)
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }

// SegmentsOf lists an alarm's stored segments (for other features, e.g. an
// evidence export). No access check.
func (s *Service) SegmentsOf(ctx context.Context, alarmID string) ([]Segment, error) {
	return s.store.segments(ctx, alarmID)
}

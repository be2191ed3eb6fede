package media

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"open110/audit"
	"open110/platform/blob"
	"open110/platform/db"
)

// uploader moves finished segments from disk into the blob store and the
// database, off the packet path: recorders append to its queue (never
// blocking) and one goroutine drains it. A segment whose upload fails stays
// on disk (renamed .webm.part → kept) and is retried at the next start.
type uploader struct {
	st   *store
	blob blob.Store
	log  *slog.Logger

	mu     sync.Mutex
	cond   *sync.Cond
	q      []finishedSegment
	closed bool
	done   chan struct{}

	uploaded atomic.Uint64
}

func newUploader(st *store, b blob.Store, log *slog.Logger) *uploader {
	u := &uploader{st: st, blob: b, log: log, done: make(chan struct{})}
	u.cond = sync.NewCond(&u.mu)
	go u.loop()
	return u
}

func (u *uploader) enqueue(s finishedSegment) {
	u.mu.Lock()
	u.q = append(u.q, s)
	u.mu.Unlock()
	u.cond.Signal()
}

func (u *uploader) loop() {
	defer close(u.done)
	for {
		u.mu.Lock()
		for len(u.q) == 0 && !u.closed {
			u.cond.Wait()
		}
		if len(u.q) == 0 && u.closed {
			u.mu.Unlock()
			return
		}
		s := u.q[0]
		u.q = u.q[1:]
		u.mu.Unlock()
		if err := u.store(s); err != nil {
			u.log.Error("recording: store segment (kept on disk for retry)", "alarm", s.AlarmID, "seq", s.Seq, "err", err)
		}
		if s.done != nil {
			s.done()
		}
	}
}

func (u *uploader) store(s finishedSegment) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, err := os.Open(s.Path)
	if err != nil {
		return err
	}
	obj, err := u.blob.Put(ctx, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	seq, err := u.st.insertSegment(ctx, Segment{AlarmID: s.AlarmID, Track: s.Track, Seq: s.Seq, Start: s.Start, End: s.End,
		SHA256: obj.SHA256, Size: obj.Size, Codecs: s.Codecs})
	if err != nil {
		return err
	}
	if seq != s.Seq {
		u.log.Warn("recording: recovered segment stored under a new number (another node recorded the alarm meanwhile)",
			"alarm", s.AlarmID, "seq", s.Seq, "stored_as", seq, "sha256", obj.SHA256)
	}
	u.uploaded.Add(1)
	return os.Remove(s.Path)
}

// close stores what is queued and stops.
func (u *uploader) close() {
	u.mu.Lock()
	u.closed = true
	u.mu.Unlock()
	u.cond.Broadcast()
	<-u.done
}

func (s *Service) recDir() string {
	if s.cfg.DataDir == "" {
		return filepath.Join(os.TempDir(), "open110-rec")
	}
	return filepath.Join(s.cfg.DataDir, "media", "rec")
}

// recoverSegments queues segment files left behind by a crash or a failed
// upload. Each is valid WebM up to its last flushed frame.
func (s *Service) recoverSegments(ctx context.Context) error {
	ents, err := os.ReadDir(s.recDir())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		alarmID, track, seq, start, ok := parsePartName(e.Name())
		if !ok {
			continue
		}
		path := filepath.Join(s.recDir(), e.Name())
		fi, err := e.Info()
		if err != nil || fi.Size() == 0 {
			continue
		}
		s.log.Info("recording: recovering unfinished segment", "alarm", alarmID, "seq", seq)
		s.up.enqueue(finishedSegment{AlarmID: alarmID, Track: track, Seq: seq, Path: path, Start: start,
			End: fi.ModTime().UTC(), Codecs: "vp8,opus"})
	}
	return nil
}

// Manifest is the recording manifest appended to the audit chain when an
// alarm closes: every stored segment with its hash and times.
type Manifest struct {
	AlarmID  string            `json:"alarm_id"`
	Segments []ManifestSegment `json:"segments"`
}

// ManifestSegment is one line of a manifest.
type ManifestSegment struct {
	Track  string `json:"track"`
	Seq    int    `json:"seq"`
	Start  string `json:"start"`
	End    string `json:"end"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// writeManifest appends the alarm's recording manifest to the audit log.
func (s *Service) writeManifest(ctx context.Context, alarmID string) error {
	segs, err := s.store.segments(ctx, alarmID)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return nil
	}
	sort.Slice(segs, func(i, j int) bool {
		if segs[i].Track != segs[j].Track {
			return segs[i].Track < segs[j].Track
		}
		return segs[i].Seq < segs[j].Seq
	})
	items := make([]any, 0, len(segs))
	for _, g := range segs {
		items = append(items, map[string]any{
			"track": g.Track, "seq": g.Seq, "start": g.Start.Format(time.RFC3339Nano), "end": g.End.Format(time.RFC3339Nano),
			"sha256": g.SHA256, "size": g.Size,
		})
	}
	subject := ""
	if a, err := s.d.Alarms.Get(ctx, alarmID); err == nil && a.CallerID != "" {
		subject = "citizen:" + a.CallerID
	}
	return s.d.DB.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO media_manifests (alarm_id, written_at) VALUES ($1, $2)
			ON CONFLICT (alarm_id) DO NOTHING`, alarmID, db.Micros(s.now()))
		if err != nil {
			return fmt.Errorf("media: manifest claim: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // another node wrote it
		}
		_, err = s.d.Audit.AppendTx(ctx, tx, audit.Entry{
			Actor: "system", Action: "media.recording.manifest", Object: "alarm:" + alarmID, Subject: subject,
			Reason: "alarm closed", Detail: map[string]any{"segments": items},
		})
		return err
	})
}

// sweepManifests writes the manifests a close event did not get written:
// the event was missed, the holder died before writing, or the database
// was away. It looks at alarms with segments stored in the last day, no
// manifest and no live room claim, and writes for those that are closed.
func (s *Service) sweepManifests(ctx context.Context) {
	now := s.now()
	rows, err := s.d.DB.Query(ctx, `SELECT DISTINCT g.alarm_id FROM media_segments g
		WHERE g.stored_at >= $1
		AND NOT EXISTS (SELECT 1 FROM media_manifests m WHERE m.alarm_id = g.alarm_id)
		AND NOT EXISTS (SELECT 1 FROM media_rooms r WHERE r.alarm_id = g.alarm_id AND r.heartbeat_at >= $2)
		LIMIT 100`, db.Micros(now.Add(-24*time.Hour)), db.Micros(now.Add(-s.cfg.PinTTL)))
	if err != nil {
		s.log.Warn("manifest sweep", "err", err)
		return
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	for _, id := range ids {
		a, err := s.d.Alarms.Get(ctx, id)
		if err != nil || !a.Closed() {
			continue
		}
		if err := s.writeManifest(ctx, id); err != nil {
			s.log.Error("recording manifest (sweep)", "alarm", id, "err", err)
		}
	}
}

// ReadManifest returns the recording manifest of an alarm as stored now.
func (s *Service) ReadManifest(ctx context.Context, alarmID string) (Manifest, error) {
	segs, err := s.store.segments(ctx, alarmID)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{AlarmID: alarmID, Segments: []ManifestSegment{}}
	for _, g := range segs {
		m.Segments = append(m.Segments, ManifestSegment{Track: g.Track, Seq: g.Seq, Start: g.Start.Format(time.RFC3339Nano),
			End: g.End.Format(time.RFC3339Nano), SHA256: g.SHA256, Size: g.Size})
	}
	return m, nil
}

package media

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"open110/media/webm"
)

// The recorder turns the caller's RTP into WebM segments on disk:
// <dir>/<alarm>.<track>.<seq>.<start µs>.webm.part while written, handed to
// the uploader when finished. Segments start on a video keyframe (or, for
// audio-only alarms, anywhere) and are cut after Segment length at the next
// keyframe, which the recorder requests, so every segment plays on its own
// and a crash loses at most the one being written (and not even that: the
// file is valid WebM at every flush, and New recovers leftovers).
//
// Packets arrive on the forwarding goroutines; the recorder copies what it
// keeps into its own buffers, so the caller may reuse the packet.

type recorderConfig struct {
	AlarmID  string
	Dir      string
	Segment  time.Duration
	Video    bool // the caller sends video (segments get a video track)
	Now      func() time.Time
	StartSeq int
	Keyframe func() // ask the caller for a keyframe
	Sink     func(finishedSegment)
	Log      *slog.Logger
}

// finishedSegment is a closed segment file waiting for upload.
type finishedSegment struct {
	AlarmID    string
	Track      string
	Seq        int
	Path       string
	Start, End time.Time
	Codecs     string
	done       func()
}

const (
	trackCaller = "caller" // the caller's audio and video, muxed
	webmVideo   = 1
	webmAudio   = 2
)

type recorder struct {
	cfg recorderConfig
	wg  sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	hasVid  bool
	epoch   time.Time // media time 0
	seq     int
	seg     *segment
	vclk    trackClock
	aclk    trackClock
	vreo    reorder
	areo    reorder
	frame   []byte // VP8 frame being assembled
	frameTS uint32
	inFrame bool
	broken  bool // a packet of the frame was lost
	needKey bool // decoding is broken until the next keyframe
	lastVid int64
	wantCut bool
	askedAt int64 // media ms of the last keyframe request
}

type segment struct {
	f       *os.File
	w       *webm.Writer
	seq     int
	startMS int64 // media time of the segment's start
	path    string
	sized   bool
	codecs  string
	lastMS  int64
}

func newRecorder(cfg recorderConfig) *recorder {
	return &recorder{cfg: cfg, hasVid: cfg.Video, seq: cfg.StartSeq, needKey: true,
		vreo: newReorder(64), areo: newReorder(16)}
}

// trackClock maps a track's RTP timestamps to media milliseconds. The first
// packet is anchored at its arrival time; later ones follow the RTP clock.
// A new SSRC (the caller reconnected) re-anchors.
type trackClock struct {
	ok     bool
	ssrc   uint32
	rate   int64
	baseMS int64
	baseTS int64
	lastTS uint32
	ext    int64
}

func (c *trackClock) ms(ssrc, ts uint32, rate int64, arrivalMS int64) int64 {
	if !c.ok || c.ssrc != ssrc {
		*c = trackClock{ok: true, ssrc: ssrc, rate: rate, baseMS: arrivalMS, baseTS: int64(ts), lastTS: ts, ext: int64(ts)}
	} else {
		c.ext += int64(int32(ts - c.lastTS)) // unwraps 32-bit wrap-around
		c.lastTS = ts
	}
	return c.baseMS + (c.ext-c.baseTS)*1000/c.rate
}

func (r *recorder) mediaMS() int64 {
	now := r.cfg.Now()
	if r.epoch.IsZero() {
		r.epoch = now
	}
	return now.Sub(r.epoch).Milliseconds()
}

// enableVideo starts recording video (an alarm upgraded by video link): the
// current audio-only segment ends and the next one has a video track.
func (r *recorder) enableVideo() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hasVid {
		return
	}
	r.hasVid = true
	r.finishLocked()
}

// video takes one VP8 RTP packet.
func (r *recorder) video(p *rtp.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || !r.hasVid {
		return
	}
	r.vreo.push(p, func(p *rtp.Packet, lost bool) { r.vp8(p, lost) })
}

// audio takes one Opus RTP packet.
func (r *recorder) audio(p *rtp.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.areo.push(p, func(p *rtp.Packet, _ bool) {
		if len(p.Payload) == 0 {
			return
		}
		ms := r.aclk.ms(p.SSRC, p.Timestamp, 48000, r.mediaMS())
		if r.seg == nil {
			if r.hasVid && r.lastVid != 0 {
				return // video is flowing: segments start on its keyframes
			}
			if !r.startLocked(ms) {
				return
			}
		} else if !r.hasVid || ms-r.lastVid > 2000 {
			// Audio-only (or the camera stopped): cut on audio.
			if ms-r.seg.startMS >= r.cfg.Segment.Milliseconds() {
				r.finishLocked()
				if !r.startLocked(ms) {
					return
				}
			}
		}
		r.write(webmAudio, ms, true, p.Payload)
	})
}

// vp8 assembles frames from in-order packets (RFC 7741).
func (r *recorder) vp8(p *rtp.Packet, lost bool) {
	var d codecs.VP8Packet
	payload, err := d.Unmarshal(p.Payload)
	if err != nil || len(payload) == 0 {
		return
	}
	if lost {
		r.broken = true
	}
	start := d.S == 1 && d.PID == 0
	if start || !r.inFrame || p.Timestamp != r.frameTS {
		r.frame = r.frame[:0]
		r.frameTS = p.Timestamp
		r.inFrame = true
		r.broken = !start
	}
	r.frame = append(r.frame, payload...)
	if !p.Marker {
		return
	}
	r.inFrame = false
	if r.broken {
		r.needKey = true
		r.askKeyframe()
		return
	}
	key := r.frame[0]&0x01 == 0
	ms := r.vclk.ms(p.SSRC, p.Timestamp, 90000, r.mediaMS())
	if !key && r.needKey {
		r.askKeyframe()
		return
	}
	r.lastVid = ms
	if key {
		r.needKey = false
		if r.seg != nil && (r.wantCut || ms-r.seg.startMS >= r.cfg.Segment.Milliseconds()) {
			r.finishLocked()
		}
		if r.seg == nil && !r.startLocked(ms) {
			return
		}
		if !r.seg.sized && len(r.frame) >= 10 {
			w := int(binary.LittleEndian.Uint16(r.frame[6:8]) & 0x3fff)
			h := int(binary.LittleEndian.Uint16(r.frame[8:10]) & 0x3fff)
			if err := r.seg.w.SetVideoSize(webmVideo, w, h); err == nil {
				r.seg.sized = true
			}
		}
	} else if r.seg == nil {
		return
	} else if ms-r.seg.startMS >= r.cfg.Segment.Milliseconds() {
		r.wantCut = true
		r.askKeyframe()
	}
	r.write(webmVideo, ms, key, r.frame)
}

// askKeyframe requests a keyframe at most once a second of media time.
func (r *recorder) askKeyframe() {
	now := r.mediaMS()
	if r.askedAt != 0 && now-r.askedAt < 1000 {
		return
	}
	r.askedAt = now
	if r.cfg.Keyframe != nil {
		go r.cfg.Keyframe() // never block the packet path on RTCP
	}
}

func (r *recorder) write(track uint64, ms int64, key bool, data []byte) {
	s := r.seg
	rel := ms - s.startMS
	if err := s.w.WriteFrame(track, rel, key, data); err != nil {
		r.cfg.Log.Error("recording: write", "alarm", r.cfg.AlarmID, "err", err)
		r.finishLocked()
		return
	}
	if rel > s.lastMS {
		s.lastMS = rel
	}
}

func (r *recorder) startLocked(ms int64) bool {
	if err := os.MkdirAll(r.cfg.Dir, 0o750); err != nil {
		r.cfg.Log.Error("recording: mkdir", "err", err)
		return false
	}
	start := r.epoch.Add(time.Duration(ms) * time.Millisecond)
	name := fmt.Sprintf("%s.%s.%d.%d.webm.part", r.cfg.AlarmID, trackCaller, r.seq, start.UnixMicro())
	path := filepath.Join(r.cfg.Dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o640)
	if err != nil {
		r.cfg.Log.Error("recording: create", "err", err)
		return false
	}
	tracks := []webm.Track{{Number: webmAudio, Codec: "A_OPUS", SampleRate: 48000, Channels: 2}}
	codecNames := "opus"
	if r.hasVid {
		tracks = append([]webm.Track{{Number: webmVideo, Video: true, Codec: "V_VP8", Width: 640, Height: 480}}, tracks...)
		codecNames = "vp8,opus"
	}
	w, err := webm.NewWriter(f, start, tracks...)
	if err != nil {
		f.Close()
		os.Remove(path)
		r.cfg.Log.Error("recording: header", "err", err)
		return false
	}
	r.seg = &segment{f: f, w: w, seq: r.seq, startMS: ms, path: path, codecs: codecNames}
	r.seq++
	r.wantCut = false
	return true
}

// finishLocked closes the current segment and hands it to the sink.
func (r *recorder) finishLocked() {
	s := r.seg
	if s == nil {
		return
	}
	r.seg = nil
	err := s.w.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.cfg.Log.Error("recording: close segment", "alarm", r.cfg.AlarmID, "seq", s.seq, "err", err)
	}
	if s.w.Frames() == 0 {
		os.Remove(s.path)
		return
	}
	start := r.epoch.Add(time.Duration(s.startMS) * time.Millisecond)
	r.wg.Add(1)
	r.cfg.Sink(finishedSegment{
		AlarmID: r.cfg.AlarmID, Track: trackCaller, Seq: s.seq, Path: s.path,
		Start: start, End: start.Add(time.Duration(s.lastMS) * time.Millisecond), Codecs: s.codecs,
		done: r.wg.Done,
	})
}

// close finishes the current segment; later packets are ignored.
func (r *recorder) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.finishLocked()
}

// wait blocks until every finished segment has been stored.
func (r *recorder) wait() { r.wg.Wait() }

// parsePartName reads a leftover segment file's name.
func parsePartName(name string) (alarmID, track string, seq int, start time.Time, ok bool) {
	base, found := strings.CutSuffix(name, ".webm.part")
	if !found {
		return
	}
	parts := strings.Split(base, ".")
	if len(parts) != 4 {
		return
	}
	n, err1 := strconv.Atoi(parts[2])
	us, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || parts[0] == "" {
		return
	}
	return parts[0], parts[1], n, time.UnixMicro(us).UTC(), true
}

// reorder puts packets back in sequence order over a small window, so
// retransmissions that arrive a little late still land in the recording.
// A gap not filled within the window is skipped and reported as loss.
// Payloads are copied into the window's own buffers.
type reorder struct {
	size  uint16
	slots []reoSlot
	next  uint16 // next sequence number to emit
	init  bool
	ssrc  uint32
}

type reoSlot struct {
	ok  bool
	pkt rtp.Packet
	buf []byte
}

func newReorder(size uint16) reorder {
	return reorder{size: size, slots: make([]reoSlot, size)}
}

func (q *reorder) push(p *rtp.Packet, emit func(p *rtp.Packet, lost bool)) {
	if !q.init || p.SSRC != q.ssrc {
		q.init, q.ssrc, q.next = true, p.SSRC, p.SequenceNumber
		for i := range q.slots {
			q.slots[i].ok = false
		}
	}
	d := p.SequenceNumber - q.next // distance ahead of next, mod 2^16
	if d >= 0x8000 {
		return // older than what was emitted: a duplicate or too late
	}
	lost := false
	for d >= q.size {
		// The window would overflow: give up on the oldest missing packet.
		if q.slots[q.next%q.size].ok {
			q.emitHead(emit, lost)
			lost = false
		} else {
			q.next++
			lost = true
		}
		d = p.SequenceNumber - q.next
	}
	s := &q.slots[p.SequenceNumber%q.size]
	if !s.ok {
		s.ok = true
		s.buf = append(s.buf[:0], p.Payload...)
		s.pkt.Header = p.Header
		s.pkt.Header.Extensions = nil
		s.pkt.Payload = s.buf
	}
	for q.slots[q.next%q.size].ok {
		q.emitHead(emit, lost)
		lost = false
	}
}

func (q *reorder) emitHead(emit func(*rtp.Packet, bool), lost bool) {
	s := &q.slots[q.next%q.size]
	s.ok = false
	emit(&s.pkt, lost)
	q.next++
}

// Package webm writes WebM (Matroska) files holding VP8 video and Opus
// audio, the form browsers play and ffprobe reads. It is a small muxer made
// for evidence recording: frames are appended as SimpleBlocks in arrival
// order, the file is valid at every moment (the segment and cluster sizes
// start as "unknown" and are patched in place when known), so a file left
// behind by a crash still plays up to its last complete frame.
package webm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// File is what the muxer writes to: sequential writes plus patches at
// earlier offsets (an *os.File).
type File interface {
	io.Writer
	io.WriterAt
}

// Track describes one stream of the file.
type Track struct {
	Number uint64 // 1, 2, …
	Video  bool
	Codec  string // "V_VP8" or "A_OPUS"
	// Video: initial dimensions; SetVideoSize patches them when the first
	// keyframe says otherwise.
	Width, Height int
	// Audio.
	SampleRate float64
	Channels   int
}

// Element IDs (Matroska specification).
const (
	idEBML               = 0x1A45DFA3
	idEBMLVersion        = 0x4286
	idEBMLReadVersion    = 0x42F7
	idEBMLMaxIDLength    = 0x42F2
	idEBMLMaxSizeLength  = 0x42F3
	idDocType            = 0x4282
	idDocTypeVersion     = 0x4287
	idDocTypeReadVersion = 0x4285
	idSegment            = 0x18538067
	idInfo               = 0x1549A966
	idTimecodeScale      = 0x2AD7B1
	idMuxingApp          = 0x4D80
	idWritingApp         = 0x5741
	idDuration           = 0x4489
	idDateUTC            = 0x4461
	idTracks             = 0x1654AE6B
	idTrackEntry         = 0xAE
	idTrackNumber        = 0xD7
	idTrackUID           = 0x73C5
	idTrackType          = 0x83
	idFlagLacing         = 0x9C
	idCodecID            = 0x86
	idCodecPrivate       = 0x63A2
	idCodecDelay         = 0x56AA
	idSeekPreRoll        = 0x56BB
	idVideo              = 0xE0
	idPixelWidth         = 0xB0
	idPixelHeight        = 0xBA
	idAudio              = 0xE1
	idSamplingFrequency  = 0xB5
	idChannels           = 0x9F
	idCluster            = 0x1F43B675
	idTimecode           = 0xE7
	idSimpleBlock        = 0xA3
)

// unknownSize is the 8-byte "size unknown" marker (all value bits set).
var unknownSize = []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

// Writer appends frames to a WebM file. It is not safe for concurrent use.
type Writer struct {
	f   File
	bw  *bufio.Writer
	pos int64 // bytes handed to bw so far = offset of the next byte

	segmentData int64 // offset of the first byte of the Segment's content
	durationAt  int64 // offset of the Duration float
	dimsAt      map[uint64][2]int64

	clusterOpen   bool
	clusterSizeAt int64 // offset of the open cluster's 8-byte size
	clusterTC     int64 // open cluster's timecode (ms)
	lastTC        int64
	hasVideo      bool
	frames        int
}

// WriterApp names the muxer in the file's Info.
const WriterApp = "open110"

// NewWriter writes the EBML header, segment info and track list, and returns
// a writer for frames. start is stored as the segment's DateUTC.
func NewWriter(f File, start time.Time, tracks ...Track) (*Writer, error) {
	if len(tracks) == 0 {
		return nil, errors.New("webm: no tracks")
	}
	w := &Writer{f: f, bw: bufio.NewWriterSize(f, 32<<10), dimsAt: map[uint64][2]int64{}}
	var hdr []byte
	hdr = appendElement(hdr, idEBML, concat(
		uintElement(idEBMLVersion, 1),
		uintElement(idEBMLReadVersion, 1),
		uintElement(idEBMLMaxIDLength, 4),
		uintElement(idEBMLMaxSizeLength, 8),
		stringElement(idDocType, "webm"),
		uintElement(idDocTypeVersion, 4),
		uintElement(idDocTypeReadVersion, 2),
	))
	hdr = appendID(hdr, idSegment)
	hdr = append(hdr, unknownSize...)
	w.segmentData = int64(len(hdr))

	// Info: Duration is written as an 8-byte float so Close can patch it.
	var info []byte
	info = append(info, uintElement(idTimecodeScale, 1_000_000)...) // timecodes in milliseconds
	info = append(info, stringElement(idMuxingApp, WriterApp)...)
	info = append(info, stringElement(idWritingApp, WriterApp)...)
	info = append(info, intElement(idDateUTC, start.Sub(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)).Nanoseconds())...)
	infoStart := len(hdr) + 4 + 1 // Info ID + 1-byte size
	durOffsetInInfo := len(info) + 2 + 1
	info = append(info, floatElement(idDuration, 0)...)
	if len(info) > 126 {
		return nil, errors.New("webm: info too long")
	}
	hdr = appendElement(hdr, idInfo, info)
	w.durationAt = int64(infoStart + durOffsetInInfo)

	var entries []byte
	for _, t := range tracks {
		var e []byte
		e = append(e, uintElement(idTrackNumber, t.Number)...)
		e = append(e, uintElement(idTrackUID, t.Number)...)
		e = append(e, uintElement(idFlagLacing, 0)...)
		e = append(e, stringElement(idCodecID, t.Codec)...)
		if t.Video {
			w.hasVideo = true
			e = append(e, uintElement(idTrackType, 1)...)
			// Pixel sizes as fixed 2-byte values so they can be patched.
			v := concat(fixedUint(idPixelWidth, uint64(t.Width), 2), fixedUint(idPixelHeight, uint64(t.Height), 2))
			base := len(hdr) + 4 + 8 /*Tracks hdr*/ + len(entries) + 1 + 8 /*entry hdr*/ + len(e) + 1 + 8 /*video hdr*/
			w.dimsAt[t.Number] = [2]int64{int64(base + 2), int64(base + 4 + 2)}
			e = appendElement8(e, idVideo, v)
		} else {
			e = append(e, uintElement(idTrackType, 2)...)
			if t.Codec == "A_OPUS" {
				e = append(e, binElement(idCodecPrivate, opusHead(t.Channels, t.SampleRate))...)
				e = append(e, uintElement(idCodecDelay, 6_500_000)...)   // 312 samples of pre-skip at 48 kHz, in ns
				e = append(e, uintElement(idSeekPreRoll, 80_000_000)...) // 80 ms, as the spec recommends for Opus
			}
			e = append(e, appendElement(nil, idAudio, concat(
				floatElement(idSamplingFrequency, t.SampleRate),
				uintElement(idChannels, uint64(t.Channels)),
			))...)
		}
		entries = appendElement8(entries, idTrackEntry, e)
	}
	hdr = appendElement8(hdr, idTracks, entries)
	if _, err := w.write(hdr); err != nil {
		return nil, err
	}
	return w, nil
}

// SetVideoSize patches the pixel size of a video track (known from the first
// VP8 keyframe).
func (w *Writer) SetVideoSize(track uint64, width, height int) error {
	at, ok := w.dimsAt[track]
	if !ok {
		return fmt.Errorf("webm: track %d is not video", track)
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], uint16(width))
	if _, err := w.f.WriteAt(b[:], at[0]); err != nil {
		return err
	}
	binary.BigEndian.PutUint16(b[:], uint16(height))
	_, err := w.f.WriteAt(b[:], at[1])
	return err
}

// WriteFrame appends one frame of track at timecode ms (from the file's
// start). Video keyframes start a new cluster, so each cluster is
// independently decodable; timecodes must not go backwards by more than a
// cluster's span.
func (w *Writer) WriteFrame(track uint64, ms int64, keyframe bool, frame []byte) error {
	if ms < 0 {
		ms = 0
	}
	if w.clusterOpen && ms < w.clusterTC && w.clusterTC-ms < 1000 {
		// A frame of the other track that arrived just behind the keyframe
		// that opened this cluster: clamp it (a few ms) rather than write a
		// negative relative timecode, which some players refuse.
		ms = w.clusterTC
	}
	newCluster := !w.clusterOpen ||
		ms-w.clusterTC > 30_000 || ms < w.clusterTC || // relative timecodes are int16
		(keyframe && w.hasVideo && w.isVideo(track) && ms-w.clusterTC >= 1000) ||
		(!w.hasVideo && ms-w.clusterTC >= 5000)
	if newCluster {
		if err := w.closeCluster(); err != nil {
			return err
		}
		var c []byte
		c = appendID(c, idCluster)
		w.clusterSizeAt = w.pos + int64(len(c))
		c = append(c, unknownSize...)
		c = append(c, uintElement(idTimecode, uint64(ms))...)
		if _, err := w.write(c); err != nil {
			return err
		}
		w.clusterOpen, w.clusterTC = true, ms
	}
	var hdr [4 + 8 + 4]byte
	n := 0
	hdr[n] = 0xA3
	n++
	n += putVint(hdr[n:], uint64(4+len(frame)))
	hdr[n] = 0x80 | byte(track) // track numbers < 127
	n++
	binary.BigEndian.PutUint16(hdr[n:], uint16(int16(ms-w.clusterTC)))
	n += 2
	var flags byte
	if keyframe {
		flags |= 0x80
	}
	hdr[n] = flags
	n++
	if _, err := w.write(hdr[:n]); err != nil {
		return err
	}
	if _, err := w.write(frame); err != nil {
		return err
	}
	if ms > w.lastTC {
		w.lastTC = ms
	}
	w.frames++
	return nil
}

func (w *Writer) isVideo(track uint64) bool { _, ok := w.dimsAt[track]; return ok }

// Frames is the number of frames written.
func (w *Writer) Frames() int { return w.frames }

// DurationMS is the timecode of the last frame written.
func (w *Writer) DurationMS() int64 { return w.lastTC }

// Flush pushes buffered bytes to the file (the file stays valid).
func (w *Writer) Flush() error { return w.bw.Flush() }

func (w *Writer) closeCluster() error {
	if !w.clusterOpen {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	w.clusterOpen = false
	return w.patchSize(w.clusterSizeAt, w.pos-(w.clusterSizeAt+8))
}

// Close patches the sizes and the duration. It does not close the file.
func (w *Writer) Close() error {
	if err := w.closeCluster(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(float64(w.lastTC)))
	if _, err := w.f.WriteAt(b[:], w.durationAt); err != nil {
		return err
	}
	return w.patchSize(w.segmentData-8, w.pos-w.segmentData)
}

func (w *Writer) patchSize(at, size int64) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(size))
	b[0] = 0x01 // 8-byte vint marker; sizes here stay far below 2^56
	_, err := w.f.WriteAt(b[:], at)
	return err
}

func (w *Writer) write(b []byte) (int, error) {
	n, err := w.bw.Write(b)
	w.pos += int64(n)
	return n, err
}

// opusHead is the Opus identification header Matroska stores as
// CodecPrivate (RFC 7845 §5.1).
func opusHead(channels int, rate float64) []byte {
	if channels == 0 {
		channels = 2
	}
	b := []byte("OpusHead")
	b = append(b, 1, byte(channels))
	b = binary.LittleEndian.AppendUint16(b, 312) // pre-skip: libopus' default encoder delay
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint16(b, 0) // output gain
	b = append(b, 0)                           // channel mapping family 0 (mono/stereo)
	return b
}

// --- EBML encoding ---

func appendID(b []byte, id uint32) []byte {
	switch {
	case id >= 1<<24:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<16:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id >= 1<<8:
		return append(b, byte(id>>8), byte(id))
	default:
		return append(b, byte(id))
	}
}

// putVint writes v as the shortest EBML variable-size integer (up to 8 bytes).
func putVint(b []byte, v uint64) int {
	for n := 1; n <= 8; n++ {
		if v < (1<<(7*n))-1 {
			for i := 0; i < n; i++ {
				b[n-1-i] = byte(v >> (8 * i))
			}
			b[0] |= 0x80 >> (n - 1)
			return n
		}
	}
	panic("webm: size too large")
}

func appendElement(b []byte, id uint32, data []byte) []byte {
	b = appendID(b, id)
	var sz [8]byte
	n := putVint(sz[:], uint64(len(data)))
	b = append(b, sz[:n]...)
	return append(b, data...)
}

// appendElement8 writes the size as a fixed 8-byte vint so offsets inside
// are easy to compute.
func appendElement8(b []byte, id uint32, data []byte) []byte {
	b = appendID(b, id)
	var sz [8]byte
	binary.BigEndian.PutUint64(sz[:], uint64(len(data)))
	sz[0] = 0x01
	b = append(b, sz[:]...)
	return append(b, data...)
}

func uintElement(id uint32, v uint64) []byte {
	n := 1
	for v>>(8*n) != 0 && n < 8 {
		n++
	}
	return fixedUint(id, v, n)
}

func fixedUint(id uint32, v uint64, n int) []byte {
	d := make([]byte, n)
	for i := 0; i < n; i++ {
		d[n-1-i] = byte(v >> (8 * i))
	}
	return appendElement(nil, id, d)
}

func intElement(id uint32, v int64) []byte {
	d := make([]byte, 8)
	binary.BigEndian.PutUint64(d, uint64(v))
	return appendElement(nil, id, d)
}

func floatElement(id uint32, v float64) []byte {
	d := make([]byte, 8)
	binary.BigEndian.PutUint64(d, math.Float64bits(v))
	return appendElement(nil, id, d)
}

func stringElement(id uint32, s string) []byte { return appendElement(nil, id, []byte(s)) }
func binElement(id uint32, d []byte) []byte    { return appendElement(nil, id, d) }

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

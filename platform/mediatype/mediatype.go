// Package mediatype names an upload's format from its first bytes, never
// from what the client declares. Every feature that stores captures
// (tips, trips, reward pictures) sniffs with it, so "what is a JPEG" has
// one answer.
package mediatype

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Kind is what a capture is: a photo, a video or an audio recording.
type Kind string

const (
	Photo Kind = "photo"
	Video Kind = "video"
	Audio Kind = "audio"
)

// Type is what the first bytes of an upload say it is.
type Type struct {
	MIME string // e.g. image/jpeg, video/webm
	Kind Kind   // "" when the container can hold audio or video (WebM, MP4, Ogg)
	Ext  string // file extension for exports
}

// SniffLen is how many leading bytes Sniff needs at most.
const SniffLen = 64

// Sniff names the media format from its magic bytes, never from what the
// client declares. ok is false for anything that is not a capture format we
// accept (JPEG, PNG, WebP; WebM/Matroska, MP4/QuickTime, Ogg; WAV, MP3).
func Sniff(b []byte) (s Type, ok bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return Type{"image/jpeg", Photo, "jpg"}, true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return Type{"image/png", Photo, "png"}, true
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return Type{"image/webp", Photo, "webp"}, true
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return Type{"audio/wav", Audio, "wav"}, true
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		// EBML: WebM (MediaRecorder's default in Chromium and Firefox) or
		// Matroska. The DocType sits in the EBML header, within the first
		// bytes; whether it holds video or only audio is up to the declared
		// type, decided by the caller.
		if bytes.Contains(b[:min(len(b), SniffLen)], []byte("webm")) {
			return Type{"video/webm", "", "webm"}, true
		}
		return Type{"video/x-matroska", "", "mkv"}, true
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		size := binary.BigEndian.Uint32(b[0:4])
		if size < 8 {
			return Type{}, false
		}
		brand := string(b[8:12])
		switch {
		case brand == "qt  ":
			return Type{"video/quicktime", Video, "mov"}, true
		case strings.HasPrefix(brand, "M4A"):
			return Type{"audio/mp4", Audio, "m4a"}, true
		}
		return Type{"video/mp4", "", "mp4"}, true
	case bytes.HasPrefix(b, []byte("OggS")):
		return Type{"audio/ogg", "", "ogg"}, true
	case bytes.HasPrefix(b, []byte("ID3")), len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && b[1]&0x06 != 0:
		return Type{"audio/mpeg", Audio, "mp3"}, true
	}
	return Type{}, false
}

// As returns the stored type for a capture the app declared as kind: the
// sniffed format must be of that kind, and containers that hold audio or
// video (WebM, Matroska, MP4, Ogg) take the declared kind.
func As(b []byte, kind Kind) (Type, bool) {
	t, ok := Sniff(b)
	if !ok {
		return Type{}, false
	}
	switch {
	case t.Kind == kind:
		return t, true
	case t.Kind == "" && (kind == Video || kind == Audio):
		_, sub, _ := strings.Cut(t.MIME, "/")
		t.MIME, t.Kind = string(kind)+"/"+sub, kind
		return t, true
	}
	return Type{}, false
}

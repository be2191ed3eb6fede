package tip

import (
	"bytes"
	"encoding/binary"
	"mime"
	"strings"
)

// MediaKind is what a capture is: a photo, a video or an audio recording.
type MediaKind string

const (
	Photo MediaKind = "photo"
	Video MediaKind = "video"
	Audio MediaKind = "audio"
)

// Sniffed is what the first bytes of an upload say it is.
type Sniffed struct {
	MIME string    // e.g. image/jpeg, video/webm
	Kind MediaKind // "" when the container can hold audio or video (WebM, MP4, Ogg)
	Ext  string    // file extension for exports
}

// SniffLen is how many leading bytes Sniff needs at most.
const SniffLen = 64

// Sniff names the media format from its magic bytes, never from what the
// client declares. ok is false for anything that is not a capture format we
// accept (JPEG, PNG, WebP; WebM/Matroska, MP4/QuickTime, Ogg; WAV, MP3).
func Sniff(b []byte) (s Sniffed, ok bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return Sniffed{"image/jpeg", Photo, "jpg"}, true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return Sniffed{"image/png", Photo, "png"}, true
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return Sniffed{"image/webp", Photo, "webp"}, true
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return Sniffed{"audio/wav", Audio, "wav"}, true
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		// EBML: WebM (MediaRecorder's default in Chromium and Firefox) or
		// Matroska. The DocType sits in the EBML header, within the first
		// bytes; whether it holds video or only audio is up to the declared
		// type, checked by Compatible.
		if bytes.Contains(b[:min(len(b), SniffLen)], []byte("webm")) {
			return Sniffed{"video/webm", "", "webm"}, true
		}
		return Sniffed{"video/x-matroska", "", "mkv"}, true
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		size := binary.BigEndian.Uint32(b[0:4])
		if size < 8 {
			return Sniffed{}, false
		}
		brand := string(b[8:12])
		switch {
		case brand == "qt  ":
			return Sniffed{"video/quicktime", Video, "mov"}, true
		case strings.HasPrefix(brand, "M4A"):
			return Sniffed{"audio/mp4", Audio, "m4a"}, true
		}
		return Sniffed{"video/mp4", "", "mp4"}, true
	case bytes.HasPrefix(b, []byte("OggS")):
		return Sniffed{"audio/ogg", "", "ogg"}, true
	case bytes.HasPrefix(b, []byte("ID3")), len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && b[1]&0x06 != 0:
		return Sniffed{"audio/mpeg", Audio, "mp3"}, true
	}
	return Sniffed{}, false
}

// declaredKind is the kind a declared Content-Type claims, and its subtype.
func declaredKind(contentType string) (MediaKind, string) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", ""
	}
	top, sub, _ := strings.Cut(mt, "/")
	switch top {
	case "image":
		return Photo, sub
	case "video":
		return Video, sub
	case "audio":
		return Audio, sub
	}
	return "", sub
}

// containerOf maps declared subtypes onto the sniffed container names.
var containerOf = map[string]string{
	"jpeg": "jpeg", "jpg": "jpeg", "pjpeg": "jpeg", "png": "png", "webp": "webp",
	"webm": "webm", "x-matroska": "x-matroska", "mp4": "mp4", "quicktime": "quicktime",
	"ogg": "ogg", "opus": "ogg", "wav": "wav", "x-wav": "wav", "wave": "wav", "vnd.wave": "wav",
	"mpeg": "mpeg", "mp3": "mpeg", "x-m4a": "mp4",
}

// Resolve checks the declared Content-Type against the sniffed format and
// returns the format to store. A declaration that names another format or
// kind is a lie: ok is false. An empty or generic declaration
// (application/octet-stream) takes the sniffed format; containers that hold
// audio or video take their kind from the declaration (default video).
func Resolve(s Sniffed, contentType string) (Sniffed, bool) {
	kind, sub := declaredKind(contentType)
	if kind == "" {
		if mt, _, _ := mime.ParseMediaType(contentType); contentType != "" && mt != "application/octet-stream" {
			return s, false
		}
		if s.Kind == "" {
			s.Kind = Video
		}
		return s, true
	}
	_, sniffSub, _ := strings.Cut(s.MIME, "/")
	want, known := containerOf[sub]
	if !known || want != containerOf[sniffSub] && want != sniffSub {
		return s, false
	}
	if s.Kind != "" && s.Kind != kind {
		// mp4 with an audio brand declared as video/mp4 is still fine: the
		// brand is a hint, the declaration decides for ISO media.
		if !(s.MIME == "audio/mp4" && kind == Video) {
			return s, false
		}
	}
	s.Kind = kind
	if kind == Audio && strings.HasPrefix(s.MIME, "video/") {
		s.MIME = "audio/" + sniffSub
	}
	if kind == Video && s.MIME == "audio/ogg" {
		s.MIME = "video/ogg"
	}
	if kind == Video && s.MIME == "audio/mp4" {
		s.MIME = "video/mp4"
	}
	return s, true
}

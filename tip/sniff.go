package tip

import (
	"mime"
	"strings"

	"open110/platform/mediatype"
)

// MediaKind is what a capture is: a photo, a video or an audio recording.
type MediaKind = mediatype.Kind

const (
	Photo = mediatype.Photo
	Video = mediatype.Video
	Audio = mediatype.Audio
)

// Sniffed is what the first bytes of an upload say it is.
type Sniffed = mediatype.Type

// SniffLen is how many leading bytes Sniff needs at most.
const SniffLen = mediatype.SniffLen

// Sniff names the media format from its magic bytes (platform/mediatype).
func Sniff(b []byte) (Sniffed, bool) { return mediatype.Sniff(b) }

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

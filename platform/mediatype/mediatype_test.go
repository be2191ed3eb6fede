package mediatype

import "testing"

func TestSniffAndAs(t *testing.T) {
	jpeg := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00")
	webm := append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84}, []byte("webm")...)
	mp4 := []byte("\x00\x00\x00\x18ftypisom\x00\x00")
	m4a := []byte("\x00\x00\x00\x18ftypM4A \x00\x00")
	ogg := []byte("OggS\x00\x02")
	wav := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	html := []byte("<html><script>")
	for _, tc := range []struct {
		name string
		b    []byte
		as   Kind
		mime string
		ok   bool
	}{
		{"jpeg photo", jpeg, Photo, "image/jpeg", true},
		{"png photo", png, Photo, "image/png", true},
		{"jpeg declared video", jpeg, Video, "", false},
		{"webm video", webm, Video, "video/webm", true},
		{"webm voice clip", webm, Audio, "audio/webm", true},
		{"webm declared photo", webm, Photo, "", false},
		{"mp4 video", mp4, Video, "video/mp4", true},
		{"m4a audio", m4a, Audio, "audio/mp4", true},
		{"ogg audio", ogg, Audio, "audio/ogg", true},
		{"wav audio", wav, Audio, "audio/wav", true},
		{"wav declared photo", wav, Photo, "", false},
		{"html is nothing", html, Photo, "", false},
		{"empty", nil, Photo, "", false},
	} {
		got, ok := As(tc.b, tc.as)
		if ok != tc.ok || got.MIME != tc.mime {
			t.Errorf("%s: %q %v, want %q %v", tc.name, got.MIME, ok, tc.mime, tc.ok)
		}
	}
}

func FuzzAs(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF}, "photo")
	f.Add([]byte("OggS"), "audio")
	f.Fuzz(func(t *testing.T, b []byte, kind string) {
		got, ok := As(b, Kind(kind))
		if ok && (got.Kind != Kind(kind) || got.MIME == "") {
			t.Fatalf("%q as %q: %+v", b, kind, got)
		}
	})
}

package tip

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"open110/platform/api"
	"open110/platform/apperr"
)

// FuzzSniff: any bytes and any declared type give a verdict, never a panic;
// what Resolve accepts always has a kind and a media MIME type.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{"\xff\xd8\xff\xe0", "\x89PNG\r\n\x1a\n", "RIFF\x00\x00\x00\x00WEBPVP8 ", "RIFF\x00\x00\x00\x00WAVEfmt ",
		"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", "\x00\x00\x00\x18ftypisom", "\x00\x00\x00\x18ftypM4A ", "OggS\x00", "ID3\x04", "\xff\xfb", ""} {
		f.Add([]byte(s), "image/jpeg")
		f.Add([]byte(s), "audio/webm;codecs=opus")
		f.Add([]byte(s), "")
	}
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		s, ok := Sniff(b)
		if !ok {
			return
		}
		r, ok := Resolve(s, ct)
		if ok && (r.Kind == "" || r.MIME == "") {
			t.Fatalf("%q %q: resolved to %+v", b, ct, r)
		}
	})
}

// FuzzParsePosition: header positions parse or are refused, never panic,
// and what parses is a valid position.
func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"38.04,114.51,12", "38.04,114.51", "NaN,1", "1e400,2", ",", "", "1,2,3,4", " 38 , 114 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, ok := parsePosition(s); ok && !validPosition(p) {
			t.Fatalf("%q → %+v", s, p)
		}
	})
}

// FuzzVerifyExport: arbitrary bytes (and mutations of a real export's
// manifest) are refused with an error, never a panic or a false OK.
func FuzzVerifyExport(f *testing.F) {
	f.Add([]byte("PK\x03\x04"), []byte(`{"format":"open110-tip-export/1"}`))
	f.Add([]byte{}, []byte(`{"format":"open110-tip-export/1","media":[{"id":"x","file":"media/x"}],"audit":{"links":[{"seq":1}]}}`))
	f.Fuzz(func(t *testing.T, raw, manifest []byte) {
		_ = VerifyExportBytes(context.Background(), raw, io.Discard)
		var buf bytes.Buffer
		zw := newZip(&buf, map[string][]byte{"manifest.json": manifest})
		_ = zw
		if err := VerifyExportBytes(context.Background(), buf.Bytes(), io.Discard); err == nil {
			t.Fatalf("manifest %q verified without media or chain", manifest)
		}
	})
}

func newZip(w io.Writer, files map[string][]byte) error {
	zw := zip.NewWriter(w)
	for name, b := range files {
		fw, err := zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := fw.Write(b); err != nil {
			return err
		}
	}
	return zw.Close()
}

// FuzzNewTip: a POST /api/v1/tips body decodes strictly and passes the
// checks that need no lookup, or is refused with a stable code — never a
// panic or an internal error. What passes has a known category, a trimmed
// description of 1–4000 characters, a valid position, a name of at most
// 64 characters and at most 12 attachments.
func FuzzNewTip(f *testing.F) {
	for _, s := range []string{
		`{"category":"drugs","description":"有人在楼道交易","position":{"lat":38.04,"lng":114.51,"accuracy_m":12},"name":"张三","media":["m1"]}`,
		`{"category":"guns","description":"  ","position":{"lat":38,"lng":114}}`, `{"category":"other","description":"x","position":{"lat":0,"lng":0}}`,
		`{"category":"vice_gambling","description":"x","position":{"lat":91,"lng":114}}`, `{"category":"DRUGS"}`,
		`{"category":"other","description":"x","position":{"lat":38,"lng":114},"anonymous":true,"center":"130102","media":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in NewTip
		if err := api.DecodeBytes(b, &in); err != nil {
			if apperr.From(err).Kind == apperr.Internal {
				t.Fatalf("internal error for client input: %v", err)
			}
			return
		}
		if err := in.check(12); err != nil {
			if apperr.From(err).Kind != apperr.Invalid {
				t.Fatalf("refused with %v", err)
			}
			return
		}
		if !ValidCategory(in.Category) || !validPosition(in.Position) || in.Description == "" || in.Description != strings.TrimSpace(in.Description) ||
			utf8.RuneCountInString(in.Description) > 4000 || utf8.RuneCountInString(in.Name) > 64 || len(in.Media) > 12 {
			t.Fatalf("accepted %+v", in)
		}
	})
}

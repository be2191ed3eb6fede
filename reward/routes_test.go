package reward

import (
	"net/http"
	"strings"
	"testing"
)

type recorder map[string]bool

func (r recorder) HandleFunc(p string, _ func(http.ResponseWriter, *http.Request)) { r[p] = true }

// TestRoutesDocumented: every route Register adds is in OpenAPI.
func TestRoutesDocumented(t *testing.T) {
	rec := recorder{}
	NewHandler(nil, nil).Register(rec)
	doc := OpenAPI()
	for pattern := range rec {
		method, path, _ := strings.Cut(pattern, " ")
		item, ok := doc[path].(map[string]any)
		if !ok || item[strings.ToLower(method)] == nil {
			t.Errorf("%s not in the OpenAPI paths", pattern)
		}
	}
}

func TestSniffImageAndCovers(t *testing.T) {
	for b, want := range map[string]string{"\xff\xd8\xff\xe0": "image/jpeg", "\x89PNG\r\n\x1a\n": "image/png", "RIFF\x00\x00\x00\x00WEBP": "image/webp", "GIF89a": "", "": ""} {
		if got := sniffImage([]byte(b)); got != want {
			t.Errorf("%q: %q, want %q", b, got, want)
		}
	}
	if !covers("130100", "130102") || !covers("130000", "130102") || covers("130200", "130102") || covers("130102", "130100") {
		t.Fatal("covers")
	}
}

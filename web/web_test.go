package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func newTest(t *testing.T) (*Web, http.Handler) {
	t.Helper()
	w, err := New(Options{PublicURL: "https://110.example.cn/"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	return w, mux
}

func get(h http.Handler, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestPages(t *testing.T) {
	w, h := newTest(t)
	for _, p := range []string{"/", "/console/", "/poster"} {
		rec := get(h, p)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", p, rec.Code)
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", p, got)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		body := rec.Body.String()
		if strings.Contains(body, "{{STATIC}}") || !strings.Contains(body, w.StaticPrefix()+"/") {
			t.Errorf("%s: static prefix not substituted", p)
		}
		// A cheap revalidation.
		if rec2 := get(h, p, "If-None-Match", rec.Header().Get("ETag")); rec2.Code != http.StatusNotModified {
			t.Errorf("%s: revalidation status %d, want 304", p, rec2.Code)
		}
	}
	if rec := get(h, "/console"); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/console/" {
		t.Errorf("/console: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// The CSP is "default-src 'self'": no inline scripts, no inline handlers,
// no javascript: URLs, nothing from another origin.
func TestPagesAreCSPSafe(t *testing.T) {
	inlineScript := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	handler := regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`)
	check := func(name, body string) {
		for _, m := range inlineScript.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline script %q", name, m[0])
			}
		}
		if handler.MatchString(body) {
			t.Errorf("%s: inline event handler", name)
		}
		if strings.Contains(strings.ToLower(body), "javascript:") {
			t.Errorf("%s: javascript: URL", name)
		}
		if external.MatchString(body) {
			t.Errorf("%s: loads from another origin", name)
		}
	}
	entries, _ := fs.ReadDir(pagesFS, "pages")
	for _, e := range entries {
		b, _ := fs.ReadFile(pagesFS, "pages/"+e.Name())
		check(e.Name(), string(b))
	}
	// JS must not build inline handlers either (setAttribute('onclick', ...)),
	// nor eval: both are refused by the CSP.
	bad := regexp.MustCompile(`setAttribute\(\s*['"]on|\beval\(|new Function\(|innerHTML\s*=\s*[^'P\s]`)
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") || strings.HasPrefix(p, "static/vendor/") {
			return err
		}
		b, _ := fs.ReadFile(staticFS, p)
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q is refused by the CSP or unsafe", p, m)
		}
		return nil
	})
}

// Every relative import in every module names a file that exists: a typo
// would otherwise only show up as a blank page in a browser.
func TestModuleImportsResolve(t *testing.T) {
	w, _ := newTest(t)
	imp := regexp.MustCompile(`(?m)(?:^\s*import\s+(?:[^'"]*?\s+from\s+)?|^\s*export\s+[^'"]*?\s+from\s+|\bimport\()\s*['"](\.[^'"]+)['"]`)
	n := 0
	for name, a := range w.assets {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range imp.FindAllStringSubmatch(string(a.body), -1) {
			target := path.Join(path.Dir(name), m[1])
			if _, ok := w.assets[target]; !ok {
				t.Errorf("%s imports %s: no such file (%s)", name, m[1], target)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("found only %d imports: the pattern is broken", n)
	}
}

func TestStaticCaching(t *testing.T) {
	w, h := newTest(t)
	u := w.StaticPrefix() + "/app/main.js"
	rec := get(h, u)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
		t.Errorf("Cache-Control %q", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if rec := get(h, u, "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", rec.Code)
	}

	// gzip when asked, same bytes after decoding.
	gz := get(h, u, "Accept-Encoding", "br, gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatal("no gzip")
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, rec.Body.Bytes()) {
		t.Error("gzip body differs")
	}
	if get(h, u, "Accept-Encoding", "gzip;q=0").Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still compressed")
	}

	// A page from an earlier release still loads, but is not cached as immutable.
	old := get(h, "/static/000000000000/app/main.js")
	if old.Code != 200 || old.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("old version: %d %q", old.Code, old.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/app/nope.js", "/../web.go", "/app/../../web.go", "//etc/passwd"} {
		if rec := get(h, w.StaticPrefix()+p); rec.Code == http.StatusOK {
			t.Errorf("%s: status %d", p, rec.Code)
		}
	}
}

func TestVersionIsContentHash(t *testing.T) {
	a, _ := New(Options{})
	b, _ := New(Options{PublicURL: "http://x"})
	if a.Version() != b.Version() || len(a.Version()) != 12 {
		t.Fatalf("versions %q %q", a.Version(), b.Version())
	}
}

func TestGeneratedRegistry(t *testing.T) {
	w, _ := newTest(t)
	for shell, want := range map[string]string{"app": "./features/notes.js", "console": "./features/centers.js"} {
		a, ok := w.assets[shell+"/features.js"]
		if !ok {
			t.Fatalf("%s: no registry", shell)
		}
		if !strings.Contains(string(a.body), want) || !strings.Contains(string(a.body), "export default [") {
			t.Errorf("%s registry:\n%s", shell, a.body)
		}
	}
}

func TestPosterQR(t *testing.T) {
	_, h := newTest(t)
	rec := get(h, "/poster/qr.svg")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("svg: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if b := rec.Body.String(); !strings.HasPrefix(b, "<svg") || !strings.Contains(b, `<path fill="#000" d="M`) {
		t.Errorf("svg body: %.80s", b)
	}
	png := get(h, "/poster/qr.png")
	if png.Code != 200 || !bytes.HasPrefix(png.Body.Bytes(), []byte("\x89PNG")) {
		t.Fatalf("png: %d", png.Code)
	}
}

func TestQRSVGSize(t *testing.T) {
	// Version 3 (29 modules) + 2×4 quiet zone for a short URL at level M.
	b, err := QRSVG("https://110.example.cn/")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`viewBox="0 0 37 37"`)) && !bytes.Contains(b, []byte(`viewBox="0 0 33 33"`)) {
		t.Errorf("unexpected size: %.120s", b)
	}
}

func TestAppURL(t *testing.T) {
	w, _ := New(Options{})
	r := httptest.NewRequest("GET", "http://10.0.0.5:8110/poster/qr.svg", nil)
	if got := w.appURL(r); got != "http://10.0.0.5:8110/" {
		t.Errorf("derived %q", got)
	}
	w2, _ := New(Options{PublicURL: "https://110.example.cn/"})
	if got := w2.appURL(r); got != "https://110.example.cn/" {
		t.Errorf("configured %q", got)
	}
}

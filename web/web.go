// Package web serves open110's browser UIs: the citizen app at "/", the
// dispatcher console at "/console/" and a printable poster at "/poster".
//
// The files under static/ are plain ES modules and CSS, embedded in the
// binary (embed package) — there is no bundler and no build step. Every static file is
// served under one content-derived version, "/static/<version>/<path>",
// where <version> hashes the names and contents of all static files. A
// module's relative imports ("./features/alarm.js") therefore resolve to
// the same version without rewriting, and such URLs never change their
// content, so they are cached for a year ("immutable"). The HTML pages name
// that prefix (it is substituted at start-up) and are served "no-cache", so
// a new release is picked up on the next page load.
//
// The server's CSP is "default-src 'self'": no inline scripts and no inline
// event handlers anywhere (inline styles are allowed). web_test.go checks
// the pages for both.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var staticFS embed.FS

//go:embed pages
var pagesFS embed.FS

// Options configure the web UIs.
type Options struct {
	// PublicURL is how citizens reach the server (scheme://host[:port], no
	// trailing path). The poster's QR code opens it. Empty: derived from
	// each request's Host.
	PublicURL string
}

// Web holds the prepared pages and assets. It is immutable after New and
// safe for concurrent use.
type Web struct {
	opts    Options
	version string            // content hash of all static files
	assets  map[string]*asset // by path under static/, e.g. "app/main.js"
	pages   map[string]*asset // by page name, e.g. "app.html", with the static prefix substituted
	qr      *qrCache
}

type asset struct {
	body  []byte
	etag  string // quoted strong ETag
	ctype string

	// gzip of body, made on first request (not at start: start-up time
	// counts, and most assets of a release are never asked for twice by
	// one client); nil when not worth it.
	gzOnce sync.Once
	gz     []byte
}

// New prepares the embedded pages and assets.
func New(opts Options) (*Web, error) {
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	w := &Web{opts: opts, assets: map[string]*asset{}, pages: map[string]*asset{}, qr: newQRCache()}

	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	var names []string
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		w.assets[p] = newAsset(p, b)
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read static files: %w", err)
	}
	// Each shell's feature registry is generated from its features/*.js
	// files, so adding a feature is adding one file: no shared list for
	// several engineers to edit at once.
	for _, shell := range []string{"app", "console"} {
		p := shell + "/features.js"
		if _, ok := w.assets[p]; ok {
			return nil, fmt.Errorf("web: %s is generated; remove the file", p)
		}
		w.assets[p] = newAsset(p, registry(static, shell))
		names = append(names, p)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%s\x00", n, w.assets[n].etag)
	}
	w.version = hex.EncodeToString(h.Sum(nil))[:12]

	prefix := w.StaticPrefix()
	entries, err := fs.ReadDir(pagesFS, "pages")
	if err != nil {
		return nil, fmt.Errorf("web: read pages: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(pagesFS, "pages/"+e.Name())
		if err != nil {
			return nil, err
		}
		b = bytes.ReplaceAll(b, []byte("{{STATIC}}"), []byte(prefix))
		w.pages[e.Name()] = newAsset(e.Name(), b)
	}
	return w, nil
}

// Handler returns a handler serving every web route (see Register). It
// panics if the embedded files are broken, which tests catch at build time.
func Handler(opts Options) http.Handler {
	w, err := New(opts)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	return mux
}

// Version is the content hash in static URLs.
func (w *Web) Version() string { return w.version }

// StaticPrefix is the URL prefix of the current static files, e.g.
// "/static/3f2a9c01b7de".
func (w *Web) StaticPrefix() string { return "/static/" + w.version }

// Register adds the web routes to mux.
func (w *Web) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", w.page("app.html"))
	mux.HandleFunc("GET /console/{$}", w.page("console.html"))
	mux.HandleFunc("GET /console", redirect("/console/"))
	mux.HandleFunc("GET /poster", w.page("poster.html"))
	mux.HandleFunc("GET /poster/qr.svg", w.handleQRSVG)
	mux.HandleFunc("GET /poster/qr.png", w.handleQRPNG)
	mux.HandleFunc("GET /favicon.ico", redirect(w.StaticPrefix()+"/shared/icons/favicon.svg"))
	mux.HandleFunc("GET /static/{version}/{path...}", w.handleStatic)
	mux.HandleFunc("GET /v/{token}", handleVideoLink)
}

// handleVideoLink: the one-time video link a dispatcher sends by SMS
// (media/link.go builds <public URL>/v/<token>) opens the citizen app's
// no-app page, the public hash route #/v/<token> (app/features/media.js).
// The token moves into the fragment, which browsers never send to a server
// again, and the redirect is neither cached nor referred.
func handleVideoLink(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(rw, r, "/#/v/"+url.PathEscape(r.PathValue("token")), http.StatusFound)
}

func redirect(to string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, to, http.StatusMovedPermanently)
	}
}

func (w *Web) page(name string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		a, ok := w.pages[name]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		// Pages are small and name the current static version: revalidate
		// every time (the ETag makes that a cheap 304).
		rw.Header().Set("Cache-Control", "no-cache")
		serve(rw, r, a)
	}
}

func (w *Web) handleStatic(rw http.ResponseWriter, r *http.Request) {
	p := r.PathValue("path")
	if p != path.Clean(p) || strings.HasPrefix(p, "/") {
		http.NotFound(rw, r)
		return
	}
	a, ok := w.assets[p]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	if r.PathValue("version") == w.version {
		rw.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A page loaded from an earlier release asks for its old version:
		// answer with today's file, but never let it be cached under that URL.
		rw.Header().Set("Cache-Control", "no-cache")
	}
	serve(rw, r, a)
}

func serve(rw http.ResponseWriter, r *http.Request, a *asset) {
	h := rw.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Add("Vary", "Accept-Encoding")
	if etagMatch(r.Header.Get("If-None-Match"), a.etag) {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) && a.gzipped() != nil {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		rw.Write(body) //nolint:errcheck // the client may be gone
	}
}

func newAsset(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	return &asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: contentType(name)}
}

func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		if len(a.body) <= 1024 || !compressible(a.ctype) {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.body) //nolint:errcheck // bytes.Buffer does not fail
		zw.Close()       //nolint:errcheck
		if buf.Len() < len(a.body)*9/10 {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

// contentType does not depend on the machine's mime.types: the same binary
// must answer the same everywhere (a module served as text/plain fails).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	case ".webmanifest":
		return "application/manifest+json"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	case ".woff2":
		return "font/woff2"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") ||
		strings.Contains(ctype, "svg") || strings.Contains(ctype, "javascript")
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, _ = strconv.ParseFloat(v, 64)
		}
		return q > 0
	}
	return false
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// registry writes the ES module "<shell>/features.js": it imports every
// top-level static/<shell>/features/*.js in name order and exports their
// default exports as an array. A feature keeps its helper modules in a
// folder (features/alarm/call.js), which is not scanned.
func registry(static fs.FS, shell string) []byte {
	files, _ := fs.Glob(static, shell+"/features/*.js")
	sort.Strings(files)
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Generated by the server from web/static/%s/features/*.js (see web/README.md).\n", shell)
	var ids []string
	for i, f := range files {
		id := fmt.Sprintf("f%d", i)
		fmt.Fprintf(&b, "import %s from './features/%s';\n", id, path.Base(f))
		ids = append(ids, id)
	}
	fmt.Fprintf(&b, "export default [%s];\n", strings.Join(ids, ", "))
	return b.Bytes()
}

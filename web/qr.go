package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// The poster's QR code opens the citizen app (扫码注册). It encodes the
// public URL, or, when none is configured, the URL the poster itself was
// fetched from, so a poster printed from http://10.0.0.5:8110/poster points
// at http://10.0.0.5:8110/.

// qrCache keeps the few encodings a server ever makes (one per public URL).
type qrCache struct {
	mu  sync.Mutex
	svg map[string][]byte
	png map[string][]byte
}

func newQRCache() *qrCache {
	return &qrCache{svg: map[string][]byte{}, png: map[string][]byte{}}
}

const qrCacheMax = 16 // a Host header is client-chosen: bound the cache

// appURL is what the QR code opens.
func (w *Web) appURL(r *http.Request) string {
	if w.opts.PublicURL != "" {
		return w.opts.PublicURL + "/"
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/"
}

func (w *Web) handleQRSVG(rw http.ResponseWriter, r *http.Request) {
	u := w.appURL(r)
	b, err := w.qr.get(w.qr.svg, u, func() ([]byte, error) { return QRSVG(u) })
	if err != nil {
		http.Error(rw, "qr: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Cache-Control", "no-cache")
	serve(rw, r, newAsset("qr.svg", b))
}

func (w *Web) handleQRPNG(rw http.ResponseWriter, r *http.Request) {
	u := w.appURL(r)
	b, err := w.qr.get(w.qr.png, u, func() ([]byte, error) {
		q, err := qrcode.New(u, qrcode.Medium)
		if err != nil {
			return nil, err
		}
		return q.PNG(512)
	})
	if err != nil {
		http.Error(rw, "qr: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Cache-Control", "no-cache")
	serve(rw, r, newAsset("qr.png", b))
}

func (c *qrCache) get(m map[string][]byte, key string, make func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	b, ok := m[key]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := make()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(m) >= qrCacheMax {
		clear(m)
	}
	m[key] = b
	c.mu.Unlock()
	return b, nil
}

// QRSVG encodes text as a QR code (error correction level M, 15%) and
// draws it as an SVG: one path of unit squares, quiet zone included, crisp
// at any print size.
func QRSVG(text string) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("web: qr encode: %w", err)
	}
	bm := q.Bitmap() // includes the 4-module quiet zone
	n := len(bm)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Node-to-node forwarding. A node that passes a request on to the node
// holding the resource (an alarm's media room lives in one process) names
// the original client in ForwardHeader, signed with the cluster's node key
// (derived from the server secret every node shares). The receiving node
// believes that client IP — so audit entries and per-IP limits see the
// caller, not the forwarding node — and knows not to forward again.
//
// The signature covers the client IP, the time and the request path, and
// is good for ForwardWindow: a captured header is useless on another path
// and soon useless at all. A header that does not verify is ignored (the
// request is treated as coming straight from its peer).
const (
	ForwardHeader = "X-Open110-Forwarded"
	ForwardWindow = 30 * time.Second
)

type forwardedKey struct{}

// SignForward returns the ForwardHeader value for a request to path made on
// behalf of clientIP.
func SignForward(key []byte, path, clientIP string, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	return clientIP + ";" + ts + ";" + forwardMAC(key, path, clientIP, ts)
}

func forwardMAC(key []byte, path, ip, ts string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("open110-forward\x00" + path + "\x00" + ip + "\x00" + ts))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verifyForward returns the client IP named by a valid ForwardHeader.
func verifyForward(key []byte, r *http.Request, now time.Time) (string, bool) {
	v := r.Header.Get(ForwardHeader)
	if len(key) == 0 || v == "" || len(v) > 200 {
		return "", false
	}
	parts := strings.Split(v, ";")
	if len(parts) != 3 {
		return "", false
	}
	ip, ts, mac := parts[0], parts[1], parts[2]
	if _, err := netip.ParseAddr(ip); err != nil {
		return "", false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > ForwardWindow || d < -ForwardWindow {
		return "", false
	}
	if !hmac.Equal([]byte(mac), []byte(forwardMAC(key, r.URL.Path, ip, ts))) {
		return "", false
	}
	return ip, true
}

// Forwarded reports whether the request came from another node of the
// cluster with a valid ForwardHeader (so it must be served here, not
// forwarded again).
func Forwarded(r *http.Request) bool {
	v, _ := r.Context().Value(forwardedKey{}).(bool)
	return v
}

// WithForwarded marks ctx as carrying a forwarded request (the middleware
// does this; tests of handlers may too).
func WithForwarded(ctx context.Context) context.Context {
	return context.WithValue(ctx, forwardedKey{}, true)
}

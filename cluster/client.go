package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"open110/platform/sms"
)

// DemoPassword is the demo officers' password (DESIGN §6).
const DemoPassword = "open110-demo"

// User is one simulated person: their own HTTP client bound to their own
// loopback source address (so per-IP limits see distinct people, as they
// would in the field), and their session token once signed in.
type User struct {
	Name  string
	IP    string // 127.x.y.z source address
	Token string
	HTTP  *http.Client
}

// NewUser returns a user whose connections come from ip (a 127.0.0.0/8
// address; Linux answers on the whole loopback range).
func NewUser(name, ip string) *User {
	d := &net.Dialer{Timeout: 3 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	return &User{Name: name, IP: ip, HTTP: &http.Client{Transport: tr, Timeout: 15 * time.Second}}
}

// LoopbackIP is the i-th simulated source address (127.1.x.y).
func LoopbackIP(i int) string { return fmt.Sprintf("127.1.%d.%d", (i/250)%250, i%250+2) }

// Response is an API answer.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into v.
func (r Response) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Code is the error code of an error answer ("" if none).
func (r Response) Code() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

func (r Response) String() string {
	return fmt.Sprintf("%d %s", r.Status, truncate(string(r.Body), 300))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Do makes one API call to base. body is JSON-encoded unless it is nil,
// a []byte or a string. hdr may be nil.
func (u *User) Do(ctx context.Context, base, method, path string, hdr http.Header, body any) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return Response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return Response{}, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if rd != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if u.Token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	res, err := u.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: res.StatusCode, Body: b, Header: res.Header}, nil
}

// Retryable reports whether a client should try again (maybe on another
// node): no answer at all, or the server said it could not do it now.
func Retryable(r Response, err error) bool {
	if err != nil {
		return true
	}
	return r.Status >= 500 || r.Status == http.StatusTooManyRequests
}

// Failover makes the call against the nodes nodes() returns, moving to the
// next node and backing off while Retryable, until ctx ends. The body is
// resent unchanged (callers put an idempotency key in it or the header
// where the API has one). tries counts attempts.
func (u *User) Failover(ctx context.Context, nodes func() []string, start int, method, path string, hdr http.Header, body any) (r Response, tries int, err error) {
	backoff := 50 * time.Millisecond
	for i := start; ; i++ {
		ns := nodes()
		if len(ns) > 0 {
			tries++
			r, err = u.Do(ctx, ns[i%len(ns)], method, path, hdr, body)
			if !Retryable(r, err) {
				return r, tries, nil
			}
		} else {
			err = errors.New("no node is up")
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("gave up after %d tries: last answer %s", tries, r)
			}
			return r, tries, fmt.Errorf("%w (%v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		if backoff < time.Second {
			backoff *= 2
		}
	}
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// SignInCitizen signs the user in with an OTP through node n (the code is
// read from n's SMS outbox). phone is E.164 (+86…).
func (u *User) SignInCitizen(ctx context.Context, n *Node, phone string) error {
	return u.SignInCitizenAt(ctx, n.URL(), n.Outbox(), phone)
}

// SignInCitizenAt signs in through base, reading the code from outbox.
func (u *User) SignInCitizenAt(ctx context.Context, base, outbox, phone string) error {
	r, err := u.Do(ctx, base, "POST", "/api/v1/auth/otp", nil, map[string]string{"phone": phone})
	if err != nil || r.Status != http.StatusAccepted {
		return fmt.Errorf("otp %s: %v %v", phone, r, err)
	}
	code, err := LatestCode(ctx, outbox, phone)
	if err != nil {
		return err
	}
	r, err = u.Do(ctx, base, "POST", "/api/v1/auth/otp/verify", nil, map[string]string{"phone": phone, "code": code})
	if err != nil || r.Status != http.StatusOK {
		return fmt.Errorf("otp verify %s: %v %v", phone, r, err)
	}
	var s struct {
		Token string `json:"token"`
	}
	if err := r.JSON(&s); err != nil || s.Token == "" {
		return fmt.Errorf("otp verify %s: no token in %s", phone, r)
	}
	u.Token = s.Token
	return nil
}

// LatestCode waits for the newest 6-digit code sent to phone in an outbox.
func LatestCode(ctx context.Context, outbox, phone string) (string, error) {
	for {
		ms, _ := sms.ReadOutbox(outbox)
		for i := len(ms) - 1; i >= 0; i-- {
			if ms[i].To == phone {
				if m := codeRE.FindStringSubmatch(ms[i].Text); m != nil {
					return m[1], nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no code for %s in %s: %w", phone, outbox, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// SignInOfficer logs a demo officer in through base.
func (u *User) SignInOfficer(ctx context.Context, base, username string) error {
	r, err := u.Do(ctx, base, "POST", "/api/v1/auth/login", nil, map[string]string{"username": username, "password": DemoPassword})
	if err != nil || r.Status != http.StatusOK {
		return fmt.Errorf("login %s: %v %v", username, r, err)
	}
	var s struct {
		Token string `json:"token"`
	}
	if err := r.JSON(&s); err != nil || s.Token == "" {
		return fmt.Errorf("login %s: no token in %s", username, r)
	}
	u.Token = s.Token
	return nil
}

// FeedMsg is one WebSocket message of an alarm feed.
type FeedMsg struct {
	Type   string          `json:"type"`
	Cursor int64           `json:"cursor"`
	Event  *FeedEvent      `json:"event"`
	Alarms json.RawMessage `json:"alarms"`
	At     time.Time       `json:"-"` // when it arrived
}

// FeedEvent is the part of an alarm event the tests look at.
type FeedEvent struct {
	Seq     int64          `json:"seq"`
	AlarmID string         `json:"alarm_id"`
	Type    string         `json:"type"`
	Data    map[string]any `json:"data"`
}

// Feed is an open alarm feed WebSocket; messages arrive on C.
type Feed struct {
	C      chan FeedMsg
	conn   *websocket.Conn
	cancel context.CancelFunc
	once   sync.Once
	Err    error // why the reader stopped (after C is closed)
}

// OpenFeed connects to a feed path (e.g. /api/v1/alarms/feed or
// /api/v1/alarms/{id}/feed?cursor=N) on base with the user's token.
func (u *User) OpenFeed(ctx context.Context, base, path string) (*Feed, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	url := "ws" + strings.TrimPrefix(base, "http") + path + sep + "access_token=" + u.Token
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	conn, res, err := websocket.Dial(dctx, url, &websocket.DialOptions{HTTPClient: u.HTTP})
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("feed %s: %d: %w", path, res.StatusCode, err)
		}
		return nil, fmt.Errorf("feed %s: %w", path, err)
	}
	conn.SetReadLimit(4 << 20)
	rctx, cancel := context.WithCancel(ctx)
	f := &Feed{C: make(chan FeedMsg, 4096), conn: conn, cancel: cancel}
	go func() {
		defer close(f.C)
		for {
			_, b, err := conn.Read(rctx)
			if err != nil {
				f.Err = err
				return
			}
			var m FeedMsg
			if err := json.Unmarshal(b, &m); err != nil {
				continue
			}
			m.At = time.Now()
			select {
			case f.C <- m:
			case <-rctx.Done():
				return
			}
		}
	}()
	return f, nil
}

// Close closes the feed.
func (f *Feed) Close() {
	f.once.Do(func() {
		f.cancel()
		f.conn.Close(websocket.StatusNormalClosure, "")
	})
}

// WaitEvent returns the first event message for which match is true, or an
// error after timeout (or when the feed ends).
func (f *Feed) WaitEvent(timeout time.Duration, match func(FeedEvent) bool) (FeedMsg, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case m, ok := <-f.C:
			if !ok {
				return FeedMsg{}, fmt.Errorf("feed ended: %v", f.Err)
			}
			if m.Type == "event" && m.Event != nil && match(*m.Event) {
				return m, nil
			}
		case <-t.C:
			return FeedMsg{}, fmt.Errorf("no matching event within %s", timeout)
		}
	}
}

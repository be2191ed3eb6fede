// Package sms sends text messages: to a JSON-lines file outbox in demo and
// tests (DESIGN §6: <data>/sms-outbox.jsonl), or to a carrier's HTTP SMS
// gateway in production.
package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// Sender sends one SMS. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, to, text string) error
}

// Message is one line of the file outbox.
type Message struct {
	To   string `json:"to"`
	Text string `json:"text"`
	At   string `json:"at"` // RFC 3339, UTC
}

// Outbox appends each message as a JSON line to a file. Each write is one
// O_APPEND write of a whole line, so concurrent writers (even several
// processes) never interleave partial lines.
type Outbox struct {
	path string
	now  func() time.Time
	mu   sync.Mutex
}

// NewOutbox returns an outbox writing to path. now may be nil.
func NewOutbox(path string, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{path: path, now: now}
}

// Send appends the message to the outbox file.
func (o *Outbox) Send(_ context.Context, to, text string) error {
	line, err := json.Marshal(Message{To: to, Text: text, At: o.now().UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("sms: encode: %w", err)
	}
	line = append(line, '\n')
	o.mu.Lock()
	defer o.mu.Unlock()
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("sms: open outbox: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("sms: write outbox: %w", err)
	}
	return f.Close()
}

// Gateway posts {"to","text"} as JSON to a carrier gateway URL, signed with
// HMAC-SHA256 over "<unix seconds>.<body>" in the headers X-Open110-Timestamp
// and X-Open110-Signature (hex), the same scheme the inbound 12110 callback
// expects from the carrier.
type Gateway struct {
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time
}

// Send posts the message; any non-2xx answer is an error.
func (g *Gateway) Send(ctx context.Context, to, text string) error {
	body, err := json.Marshal(map[string]string{"to": to, "text": text})
	if err != nil {
		return fmt.Errorf("sms: encode: %w", err)
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms: gateway request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Open110-Timestamp", ts)
	req.Header.Set("X-Open110-Signature", Sign(g.Secret, ts, body))
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: gateway: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) //nolint:errcheck
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sms: gateway answered %s", resp.Status)
	}
	return nil
}

// Sign is hex HMAC-SHA256 of "<ts>.<body>" under secret.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ReadOutbox returns every message in an outbox file (for tests and the
// demo's "show me my code" helper).
func ReadOutbox(path string) ([]Message, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sms: read outbox: %w", err)
	}
	var out []Message
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var m Message
		if err := dec.Decode(&m); err != nil {
			return out, fmt.Errorf("sms: outbox line: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

package api

import (
	"math"
	"time"
)

// StatusTooManyMessages is the WebSocket close code for a client that sends
// faster than its connection's MessageRate allows. It is not one of the
// "refused, do not retry" codes (4401, 4403, 1008): a client that floods by
// accident reconnects with backoff and resumes.
const StatusTooManyMessages = 4429

// MessageRate is a token bucket for one WebSocket connection's incoming
// messages (a socket is read by one goroutine, so it is not locked). Every
// socket that reads client messages takes one: a client must not be able
// to turn one connection into unbounded work (acks are database writes,
// offers are SDP parsing and ICE).
type MessageRate struct {
	rate, burst, tokens float64
	last                time.Time
	now                 func() time.Time
}

// NewMessageRate allows burst messages at once and perSecond sustained.
func NewMessageRate(perSecond float64, burst int) *MessageRate {
	return &MessageRate{rate: perSecond, burst: float64(burst), tokens: float64(burst), now: time.Now}
}

// Allow takes one token; false means the client is over its rate.
func (m *MessageRate) Allow() bool {
	now := m.now()
	if !m.last.IsZero() {
		m.tokens = math.Min(m.burst, m.tokens+now.Sub(m.last).Seconds()*m.rate)
	}
	m.last = now
	if m.tokens < 1 {
		return false
	}
	m.tokens--
	return true
}

package api

import (
	"math"
	"sync"
	"time"

	"open110/platform/apperr"
)

// Limiter is a keyed token bucket (per IP, per phone, per account...). It
// keeps state in memory on each node: a cluster multiplies the allowance by
// the node count, which is acceptable for abuse limits (they are not quotas).
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter allows burst events at once and perMinute events per minute
// sustained per key. now may be nil for time.Now.
func NewLimiter(perMinute float64, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: perMinute / 60, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token for key; it returns a rate_limited error carrying
// retry_after_s when the bucket is empty.
func (l *Limiter) Allow(key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > time.Minute {
		l.gc(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		wait := math.Ceil((1 - b.tokens) / l.rate)
		return apperr.ErrRateLimited.With("retry_after_s", int(wait))
	}
	b.tokens--
	return nil
}

// gc drops buckets that have refilled completely: they hold no information.
func (l *Limiter) gc(now time.Time) {
	l.sweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

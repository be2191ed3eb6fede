package blob

import (
	"context"
	"fmt"
	"sync"
)

// Referrer reports whether something still refers to an object (a row in
// some feature's table naming its hash).
type Referrer func(ctx context.Context, sha256hex string) (bool, error)

// Guarded is a Store whose Delete removes an object only when no referrer
// refers to it any more. Content is shared by hash across features: the
// same photo sent as a tip and during a guardian trip is one object, and
// the trip's retention ending must not take the tip's evidence with it.
// Each feature checks its own references before deleting; the guard checks
// everyone's.
type Guarded struct {
	Store
	mu   sync.RWMutex
	refs []Referrer
}

// Guard wraps s. Referrers are added with Refer as features are wired.
func Guard(s Store) *Guarded { return &Guarded{Store: s} }

// Refer adds a referrer.
func (g *Guarded) Refer(r Referrer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refs = append(g.refs, r)
}

// Delete removes the object unless a referrer still refers to it (then it
// is kept and Delete returns nil: for the caller, its reference is gone).
// A referrer that fails keeps the object and returns the error.
func (g *Guarded) Delete(ctx context.Context, sha256hex string) error {
	if err := checkHash(sha256hex); err != nil {
		return err
	}
	g.mu.RLock()
	refs := append([]Referrer(nil), g.refs...)
	g.mu.RUnlock()
	for _, r := range refs {
		used, err := r(ctx, sha256hex)
		if err != nil {
			return fmt.Errorf("blob: checking references before deleting %s: %w", sha256hex, err)
		}
		if used {
			return nil
		}
	}
	return g.Store.Delete(ctx, sha256hex)
}

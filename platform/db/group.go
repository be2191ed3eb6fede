package db

import (
	"context"
	"fmt"
	"sync"
)

// committer group-commits SQLite write transactions (see InTx).
type committer struct {
	mu         sync.Mutex
	pending    []*groupReq
	committing bool
}

type groupReq struct {
	ctx   context.Context
	fn    func(tx *Tx) error
	err   error
	panic any
	done  chan struct{}
}

// maxGroup bounds one group so a burst cannot make one transaction (and
// the wait of its first member) arbitrarily long.
const maxGroup = 128

func (c *committer) run(ctx context.Context, d *DB, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &groupReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	c.pending = append(c.pending, req)
	lead := !c.committing
	c.committing = true
	c.mu.Unlock()
	if lead {
		c.loop(d)
	}
	<-req.done
	if req.panic != nil {
		panic(req.panic)
	}
	return req.err
}

// loop commits groups until nobody is waiting. The leader works for
// followers that arrive while it commits; each member is released only
// after the commit that holds its writes.
func (c *committer) loop(d *DB) {
	for {
		c.mu.Lock()
		n := min(len(c.pending), maxGroup)
		if n == 0 {
			c.committing = false
			c.mu.Unlock()
			return
		}
		batch := c.pending[:n:n]
		c.pending = c.pending[n:]
		c.mu.Unlock()
		commitGroup(d, batch)
	}
}

func commitGroup(d *DB, batch []*groupReq) {
	// The group must commit even if the request that leads it is cancelled.
	ctx := context.WithoutCancel(batch[0].ctx)
	if len(batch) == 1 {
		// Nobody to share with: a plain transaction, no savepoint needed.
		q := batch[0]
		q.panic, q.err = runGuarded(func() error {
			return d.inTxOnce(ctx, func(tx *Tx) error { tx.detach = true; return q.fn(tx) })
		})
		close(q.done)
		return
	}
	err := d.inTxOnce(ctx, func(tx *Tx) error {
		tx.detach = true
		for _, q := range batch {
			if err := q.ctx.Err(); err != nil {
				q.err = err
				continue
			}
			if _, err := tx.tx.ExecContext(ctx, "SAVEPOINT grp"); err != nil {
				return fmt.Errorf("db: savepoint: %w", err)
			}
			q.panic, q.err = runGuarded(func() error { return q.fn(tx) })
			if q.err != nil || q.panic != nil {
				if _, err := tx.tx.ExecContext(ctx, "ROLLBACK TO grp"); err != nil {
					return fmt.Errorf("db: rollback to savepoint: %w", err)
				}
			}
			if _, err := tx.tx.ExecContext(ctx, "RELEASE grp"); err != nil {
				return fmt.Errorf("db: release savepoint: %w", err)
			}
		}
		return nil
	})
	for _, q := range batch {
		if err != nil && q.err == nil && q.panic == nil {
			q.err = err // the group did not commit: nobody's writes are kept
		}
		close(q.done)
	}
}

// runGuarded runs fn, turning a panic into a value re-raised in the
// caller's own goroutine.
func runGuarded(fn func() error) (p any, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = r
		}
	}()
	return nil, fn()
}

package db

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCache keeps prepared statements for SQLite. modernc parses every
// statement that is not prepared, and a profile of the alarm benchmark had
// the parser at ~30% of the CPU; a prepared statement is parsed once per
// connection and then only bound and stepped.
//
// The writer pool has one connection, held by the running transaction, so
// a statement cannot be prepared on the pool from inside a transaction
// (that waits for the connection the transaction holds: a deadlock). So a
// statement first seen in a transaction runs unprepared and is prepared on
// the pool by a goroutine of its own, which gets the connection between
// transactions; later transactions use it through Tx.StmtContext, which
// reuses the statement already prepared on their connection.
type stmtCache struct {
	pool    *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	wanted  map[string]bool
	full    atomic.Bool
	closing atomic.Bool
}

// maxStmts bounds the cache: the code has a few hundred distinct
// statements; anything beyond is built at run time (lists of IDs) and is
// not worth keeping.
const maxStmts = 1024

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns the prepared statement for query, or nil.
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	return st
}

// prepare returns the statement for query, preparing it on the pool now.
// Only for callers that hold no connection of the pool. nil: not cached
// (the cache is full, or the statement does not prepare — the caller runs
// it plainly and gets the error there).
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if st := c.get(query); st != nil || c.full.Load() || c.closing.Load() {
		return st
	}
	st, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return c.keep(query, st)
}

// later notes a statement seen inside a transaction and prepares it in the
// background.
func (c *stmtCache) later(query string) {
	if c == nil || c.full.Load() || c.closing.Load() {
		return
	}
	c.mu.Lock()
	if c.wanted[query] || c.m[query] != nil {
		c.mu.Unlock()
		return
	}
	c.wanted[query] = true
	c.mu.Unlock()
	go func() {
		st, err := c.pool.PrepareContext(context.Background(), query)
		c.mu.Lock()
		delete(c.wanted, query)
		c.mu.Unlock()
		if err == nil {
			c.keep(query, st)
		}
	}()
}

func (c *stmtCache) keep(query string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.m[query]; have != nil {
		st.Close()
		return have
	}
	if len(c.m) >= maxStmts || c.closing.Load() {
		c.full.Store(len(c.m) >= maxStmts)
		st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

// close closes every cached statement (before the pool closes).
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.closing.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

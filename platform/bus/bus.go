package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bus publishes and subscribes to subjects. Messages are best-effort wake-ups:
// a subscriber that misses one re-syncs from the database.
type Bus interface {
	// Publish sends data on subject. It returns an error when the subject is
	// invalid, ctx is done or the bus is closed. While an external connection is
	// reconnecting, messages are buffered (up to ReconnectBufferSize bytes, then
	// Publish fails with an error wrapping nats.ErrReconnectBufExceeded).
	// A nil error means "handed to the bus", not "delivered".
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe calls fn for each message on subject (NATS wildcards * and > allowed)
	// until the returned cancel func is called. fn runs on the bus's delivery goroutine
	// for that subscription: it must not block for long.
	Subscribe(subject string, fn func(subject string, data []byte)) (cancel func(), err error)
	// Ping makes a round trip to the server; for /readyz.
	Ping(ctx context.Context) error
	// Close drains the connection and, for the embedded server, shuts it down.
	// It is safe to call more than once.
	Close() error
}

// Config selects and tunes the bus. The zero value runs an embedded server
// with no network listener.
type Config struct {
	URL     string // "" = embedded server; "nats://host:port[,nats://...]" = external server/cluster
	DataDir string // embedded JetStream store lives in DataDir/nats

	// Listen, for the embedded server only, makes it also accept TCP clients on
	// this host:port ("127.0.0.1:-1" picks a free port; see NATS.ClientURL).
	// Default "": no listener at all, only in-process connections.
	Listen string
}

// ReconnectBufferSize bounds what Publish buffers while an external
// connection is reconnecting. Wake-ups are cheap to lose (subscribers
// re-sync from the database) but unbounded memory is not.
const ReconnectBufferSize = 8 << 20

// ErrClosed is returned by operations on a closed bus.
var ErrClosed = errors.New("bus: closed")

// NATS is the Bus implementation, backed by an embedded nats-server or an
// external server/cluster.
type NATS struct {
	nc  *nats.Conn
	srv *server.Server // nil when external
	log *slog.Logger

	closeOnce sync.Once
	closeErr  error
	closed    chan struct{} // closed by the nats ClosedHandler
}

var _ Bus = (*NATS)(nil)

// Open starts (or connects to) the bus chosen by cfg. This is the one place
// that decides "embedded by default, external when configured".
// It fails if the embedded server cannot start (e.g. the store dir is not
// writable) or the external server cannot be reached at start; once open, an
// external connection reconnects forever.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (Bus, error) {
	return OpenNATS(ctx, cfg, log)
}

// OpenNATS is Open returning the concrete type, for callers that need
// JetStream or the embedded server's client URL.
func OpenNATS(ctx context.Context, cfg Config, log *slog.Logger) (*NATS, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := &NATS{log: log.With("component", "bus"), closed: make(chan struct{})}
	if cfg.URL == "" {
		if err := b.startEmbedded(ctx, cfg); err != nil {
			return nil, err
		}
		return b, nil
	}
	if cfg.Listen != "" {
		return nil, errors.New("bus: Listen applies only to the embedded server")
	}
	nc, err := nats.Connect(cfg.URL, b.clientOptions()...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect %s: %w", redactURL(cfg.URL), err)
	}
	b.nc = nc
	b.log.Info("bus connected", "server", nc.ConnectedUrlRedacted())
	return b, nil
}

func (b *NATS) startEmbedded(ctx context.Context, cfg Config) error {
	if cfg.DataDir == "" {
		return errors.New("bus: DataDir is required for the embedded server")
	}
	storeDir := filepath.Join(cfg.DataDir, "nats")
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		return fmt.Errorf("bus: create store dir: %w", err)
	}
	opts := &server.Options{
		ServerName: "open110-embedded",
		// JetStream gives features a durable stream where they need one; its
		// files live in the data dir so a restart keeps them.
		JetStream: true,
		StoreDir:  storeDir,
		// No TCP port unless asked for: everything in this process talks to
		// the server through an in-process pipe, so there is nothing to
		// secure or to collide with another open110 on the same host.
		DontListen: cfg.Listen == "",
		// cmd/open110 owns SIGINT/SIGTERM and shuts the server down itself.
		NoSigs: true,
		// The ASCII-art banner is noise in structured logs.
		DisableJetStreamBanner: true,
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return err
		}
		opts.Host, opts.Port = host, port
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("bus: embedded server: %w", err)
	}
	sl := &serverLog{log: b.log.With("nats", "server")}
	// Debug and trace off: per-message tracing would flood the log.
	srv.SetLogger(sl, false, false)
	srv.Start()

	wait := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if !srv.ReadyForConnections(wait) || !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		if f := sl.fatal.Load(); f != nil {
			return fmt.Errorf("bus: embedded server: %s", *f)
		}
		return fmt.Errorf("bus: embedded server not ready after %s", wait)
	}
	b.srv = srv

	nc, err := nats.Connect("", append(b.clientOptions(),
		// Talk to the server over an in-memory pipe, no sockets.
		nats.InProcessServer(srv),
	)...)
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("bus: in-process connect: %w", err)
	}
	b.nc = nc
	b.log.Debug("embedded bus started", "store", storeDir, "listen", srv.ClientURL())
	return nil
}

// clientOptions are the nats.go options shared by the embedded and the
// external connection.
func (b *NATS) clientOptions() []nats.Option {
	host, _ := os.Hostname()
	return []nats.Option{
		// Shows up in the server's connection list (nats server report connections).
		nats.Name("open110 " + host),
		// A bus outage must never need a restart of open110: keep trying.
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		// Dial timeout per attempt (default 2s is tight across data centres).
		nats.Timeout(5 * time.Second),
		// Default is a ping every 2 minutes, so a silently dead TCP path would
		// go unnoticed for ~6 minutes; 10s x 3 notices it within ~30s.
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(3),
		// Bounded publish buffer while reconnecting (see ReconnectBufferSize).
		nats.ReconnectBufSize(ReconnectBufferSize),
		// Close must not hang on a stuck server.
		nats.DrainTimeout(5 * time.Second),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("bus disconnected", "err", err)
			} else {
				b.log.Info("bus disconnected")
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("bus reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(*nats.Conn) {
			close(b.closed)
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			// Typically nats.ErrSlowConsumer: a subscriber fell behind and
			// messages were dropped. Subscribers re-sync from the database.
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			b.log.Warn("bus async error", "subject", subj, "err", err)
		}),
	}
}

// Publish implements Bus.
func (b *NATS) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.nc.Publish(subject, data); err != nil {
		return b.wrap("publish "+subject, err)
	}
	return nil
}

// Subscribe implements Bus. When it returns nil, the subscription is known
// to the server (or, while reconnecting, will be re-sent on reconnect), so a
// message published afterwards reaches fn. After cancel returns, fn is not
// called again (a call already running may still finish). cancel is safe to
// call more than once and from inside fn.
func (b *NATS) Subscribe(subject string, fn func(subject string, data []byte)) (func(), error) {
	if fn == nil {
		return nil, errors.New("bus: nil handler")
	}
	var stopped atomic.Bool
	sub, err := b.nc.Subscribe(subject, func(m *nats.Msg) {
		if stopped.Load() {
			return
		}
		fn(m.Subject, m.Data)
	})
	if err != nil {
		return nil, b.wrap("subscribe "+subject, err)
	}
	// Wait for the server to have the interest, so "subscribe, then publish
	// from another connection" works. While reconnecting the subscription is
	// re-sent on reconnect, so a failed flush is not an error then.
	if err := b.nc.FlushTimeout(5 * time.Second); err != nil && !b.nc.IsReconnecting() {
		_ = sub.Unsubscribe()
		return nil, b.wrap("subscribe "+subject, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			stopped.Store(true)
			if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
				b.log.Debug("bus unsubscribe", "subject", subject, "err", err)
			}
		})
	}, nil
}

// Ping implements Bus: a PING/PONG round trip to the server. It fails at
// once while disconnected (so /readyz answers fast during an outage) and,
// without a deadline on ctx, waits at most 5 seconds.
func (b *NATS) Ping(ctx context.Context) error {
	if b.nc.IsClosed() {
		return fmt.Errorf("bus: ping: %w", ErrClosed)
	}
	if !b.nc.IsConnected() {
		return fmt.Errorf("bus: ping: not connected (%s)", b.nc.Status())
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return b.wrap("ping", err)
	}
	return nil
}

// Close implements Bus. It drains the connection (pending publishes are
// sent, pending deliveries run) and then stops the embedded server.
func (b *NATS) Close() error {
	b.closeOnce.Do(func() {
		if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			b.nc.Close()
		}
		select {
		case <-b.closed:
		case <-time.After(10 * time.Second):
			b.nc.Close()
			b.closeErr = errors.New("bus: drain timed out")
		}
		if b.srv != nil {
			b.srv.Shutdown()
			b.srv.WaitForShutdown()
		}
	})
	return b.closeErr
}

// JetStream returns a JetStream context on the bus connection, for the few
// places that need durable streams (the database is still the source of
// truth). With an external server, JetStream must be enabled there.
func (b *NATS) JetStream() (jetstream.JetStream, error) {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	return js, nil
}

// Conn returns the underlying connection, for code that needs request/reply
// or headers. Do not Close it; close the bus.
func (b *NATS) Conn() *nats.Conn { return b.nc }

// Embedded reports whether the bus runs its own in-process server.
func (b *NATS) Embedded() bool { return b.srv != nil }

// ClientURL returns the URL other processes can connect to: the embedded
// server's listener when Config.Listen was set, or the connected server's URL
// for an external bus. It is "" for an embedded server without a listener.
func (b *NATS) ClientURL() string {
	if b.srv != nil {
		if b.srv.Addr() == nil {
			return ""
		}
		return b.srv.ClientURL()
	}
	return b.nc.ConnectedUrlRedacted()
}

func (b *NATS) wrap(op string, err error) error {
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) {
		return fmt.Errorf("bus: %s: %w", op, errors.Join(ErrClosed, err))
	}
	return fmt.Errorf("bus: %s: %w", op, err)
}

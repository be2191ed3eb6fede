// Package app assembles open110: it opens the store, bus and evidence
// store chosen by the configuration (local by default, distributed when
// configured — decided here, in one place), applies migrations, wires every
// feature onto one HTTP mux, and runs until its context ends. Tests boot
// the real thing with Start on 127.0.0.1:0.
package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"open110/account"
	"open110/admin/settings"
	"open110/alarm"
	"open110/audit"
	"open110/geo"
	"open110/guardian"
	"open110/media"
	"open110/missing"
	"open110/platform/api"
	"open110/platform/blob"
	"open110/platform/bus"
	"open110/platform/db"
	"open110/platform/sms"
	"open110/reward"
	"open110/tip"
)

// App is a running open110 node.
type App struct {
	Cfg      Config
	Log      *slog.Logger
	Now      func() time.Time
	DB       *db.DB
	Bus      bus.Bus
	Blob     blob.Store
	Audit    *audit.Log
	Accounts *account.Service
	Router   *geo.Router
	SMS      sms.Sender
	Secret   []byte
	NodeKey  []byte // authenticates node-to-node forwarding (derived from Secret)
	Metrics  *prometheus.Registry
	Mux      *http.ServeMux

	// URL is the node's base URL once listening (e.g. http://127.0.0.1:41234).
	URL string
	// Demo lists the demo accounts when started with Demo.
	Demo []account.DemoAccount

	alarms   *alarm.Service    // set by wireAlarm
	settings *settings.Store   // set by wireSettings
	media    *media.Service    // set by wireMedia
	guardian *guardian.Service // set by wireGuardian
	tips     *tip.Service      // set by wireTip
	missing  *missing.Service  // set by wireMissing
	rewards  *reward.Service   // set by wireReward

	openapi  []func() map[string]any
	runners  []func(ctx context.Context) error
	closers  []func() error
	srv      *http.Server
	ln       net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	runErr   chan error
	stopOnce sync.Once
}

// Start builds the node and starts serving; it returns once the listener is
// open and the node is ready. Close stops it.
func Start(ctx context.Context, cfg Config, logOut io.Writer) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	log := newLogger(cfg, logOut)
	a := &App{Cfg: cfg, Log: log, Now: cfg.Now, runErr: make(chan error, 16)}
	if a.Now == nil {
		a.Now = time.Now
	}
	if err := a.build(ctx); err != nil {
		a.closeAll()
		return nil, err
	}
	if err := a.listen(); err != nil {
		a.closeAll()
		return nil, err
	}
	return a, nil
}

func newLogger(cfg Config, out io.Writer) *slog.Logger {
	if out == nil {
		out = os.Stderr
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

// build opens every part and wires the features. Each part is local by
// default and distributed when its URL says so.
func (a *App) build(ctx context.Context) error {
	cfg := a.Cfg
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	secret, err := loadSecret(cfg)
	if err != nil {
		return err
	}
	a.Secret = secret
	a.NodeKey = deriveKey(secret, "node-forward")

	if a.DB, err = db.Open(ctx, cfg.DB, cfg.Data, a.Log); err != nil {
		return err
	}
	a.closers = append(a.closers, a.DB.Close)
	if err := a.DB.Migrate(ctx, migrations()...); err != nil {
		return err
	}
	if a.Bus, err = bus.Open(ctx, bus.Config{URL: cfg.NATS, DataDir: cfg.Data}, a.Log); err != nil {
		return err
	}
	a.closers = append(a.closers, a.Bus.Close)
	store, err := blob.Open(ctx, cfg.Blob, cfg.Data)
	if err != nil {
		return err
	}
	a.Blob = guardBlobs(store, a.DB)
	// The flags choose the sender; an administrator's SMS gateway setting
	// overrides it at run time (wireRuntime).
	if cfg.SMSGateway != "" {
		a.SMS = newSwitchSMS(&sms.Gateway{URL: cfg.SMSGateway, Secret: []byte(cfg.SMSSecret), Now: a.Now})
	} else {
		a.SMS = newSwitchSMS(sms.NewOutbox(filepath.Join(cfg.Data, "sms-outbox.jsonl"), a.Now))
	}
	a.Audit = audit.New(a.DB, a.Now)
	a.Accounts = account.New(a.DB, a.Audit, a.SMS, secret, account.Config{RequireTOTP: cfg.RequireTOTP}, a.Now, a.Log)
	if err := a.Accounts.CheckSecret(ctx); err != nil {
		return err
	}
	if a.Router, err = geo.Load(); err != nil {
		return err
	}
	if err := a.seedUnits(ctx); err != nil {
		return err
	}

	a.Metrics = prometheus.NewRegistry()
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Mux = http.NewServeMux()
	a.registerPlatform()
	a.Accounts.Register(a.Mux)
	a.openapi = append(a.openapi, accountOpenAPI)
	for _, wire := range wirings {
		if err := wire(a); err != nil {
			return err
		}
	}
	return nil
}

// seedUnits makes sure every unit of the tree has a centre row and points
// the router at the counties that run their own centre.
func (a *App) seedUnits(ctx context.Context) error {
	var rows []account.UnitRow
	for _, u := range geo.Units() {
		rows = append(rows, account.UnitRow{Code: u.Code, Name: u.Name, Level: string(u.Level), Parent: u.Parent})
	}
	if err := a.Accounts.SeedCenters(ctx, rows, a.Cfg.Demo); err != nil {
		return err
	}
	if err := a.ReloadRouting(ctx); err != nil {
		return err
	}
	if a.Cfg.Demo {
		demo, err := a.Accounts.SeedDemo(ctx)
		if err != nil {
			return err
		}
		a.Demo = demo
	}
	return nil
}

// ReloadRouting points the router at the counties whose centres are active
// (call after an administrator changes them).
func (a *App) ReloadRouting(ctx context.Context) error {
	active, err := a.Accounts.ActiveCounties(ctx)
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(active))
	for c := range active {
		if _, ok := geo.UnitByCode(c); ok {
			codes = append(codes, c)
		}
	}
	return a.Router.SetOwnCenters(codes)
}

// AddRunner registers background work that runs while the node runs.
func (a *App) AddRunner(fn func(ctx context.Context) error) { a.runners = append(a.runners, fn) }

// AddOpenAPI registers a feature's OpenAPI paths.
func (a *App) AddOpenAPI(fn func() map[string]any) { a.openapi = append(a.openapi, fn) }

// AddCloser registers cleanup run at Close, in reverse order.
func (a *App) AddCloser(fn func() error) { a.closers = append(a.closers, fn) }

func (a *App) listen() error {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Cfg.Addr, err)
	}
	a.ln = ln
	a.URL = "http://" + ln.Addr().String()
	if a.Cfg.PublicURL == "" {
		a.Cfg.PublicURL = a.URL
	}
	proxies, _ := a.Cfg.trustedProxies()
	mw := &api.Middleware{Log: a.Log, TrustedProxies: proxies, Metrics: api.NewMetrics(a.Metrics), NodeKey: a.NodeKey}
	handler := mw.Wrap(jsonErrors(a.Accounts.Middleware(api.RecordRoute(a.Mux))))
	a.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	for _, run := range a.runners {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("background worker stopped", "err", err)
				a.runErr <- err
			}
		}()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.runErr <- err
		}
	}()
	return nil
}

// NodeURL is how the other nodes of a cluster reach this one: --node-url,
// else the listening address, with the host name in place of an
// unspecified IP (0.0.0.0 or ::). Valid once the node listens.
func (a *App) NodeURL() string {
	if a.Cfg.NodeURL != "" {
		return strings.TrimRight(a.Cfg.NodeURL, "/")
	}
	if a.ln == nil {
		return ""
	}
	ap, err := netip.ParseAddrPort(a.ln.Addr().String())
	if err != nil || !ap.Addr().IsUnspecified() {
		return a.URL
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return a.URL
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(int(ap.Port())))
}

// deriveKey returns a key for one purpose from the server secret, so a
// key handed to one part (node forwarding and playback tickets) reveals
// nothing of the secret or of keys for other purposes.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("open110 key\x00" + purpose))
	return m.Sum(nil)
}

// Wait blocks until ctx ends or the node fails, then shuts down gracefully.
func (a *App) Wait(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-a.runErr:
	}
	return errors.Join(err, a.Close())
}

// Close shuts the node down: stop accepting, finish requests in flight
// (bounded by the shutdown timeout), stop workers, close parts.
func (a *App) Close() error {
	var err error
	a.stopOnce.Do(func() {
		if a.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownT)
			err = a.srv.Shutdown(ctx)
			cancel()
		}
		if a.cancel != nil {
			a.cancel()
		}
		a.wg.Wait()
		err = errors.Join(err, a.closeAll())
	})
	return err
}

func (a *App) closeAll() error {
	var err error
	for i := len(a.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, a.closers[i]())
	}
	a.closers = nil
	return err
}

// loadSecret returns the server key: --secret, or <data>/secret.key,
// created with 32 random bytes on first start. It keys OTP hashes and other
// server-side MACs; losing it only invalidates codes in flight.
func loadSecret(cfg Config) ([]byte, error) {
	if cfg.Secret != "" {
		b, err := hex.DecodeString(cfg.Secret)
		if err != nil || len(b) < 16 {
			return nil, errors.New("--secret must be at least 16 bytes of hex")
		}
		return b, nil
	}
	path := filepath.Join(cfg.Data, "secret.key")
	if b, err := os.ReadFile(path); err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) < 16 {
			return nil, fmt.Errorf("%s is damaged: want hex", path)
		}
		return key, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}

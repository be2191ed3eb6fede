package bus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"open110/platform/bus"
)

// The same suite runs against the embedded server and, when
// OPEN110_TEST_NATS is set, against an external server. The external server
// is shared with other tests and runs, so every test uses its own random
// subject prefix.

const envNATS = "OPEN110_TEST_NATS"

type opener func(t *testing.T) bus.Bus

func TestEmbedded(t *testing.T) {
	runSuite(t, func(t *testing.T) bus.Bus {
		return openBus(t, bus.Config{DataDir: t.TempDir()})
	})
}

func TestExternal(t *testing.T) {
	url := os.Getenv(envNATS)
	if url == "" {
		t.Skip("external NATS tests skipped: set " + envNATS + "=nats://127.0.0.1:4222 to run them")
	}
	runSuite(t, func(t *testing.T) bus.Bus {
		return openBus(t, bus.Config{URL: url})
	})
	t.Run("TwoConnections", func(t *testing.T) {
		testTwoConnections(t, openBus(t, bus.Config{URL: url}), openBus(t, bus.Config{URL: url}))
	})
}

func runSuite(t *testing.T, open opener) {
	t.Run("PublishSubscribe", func(t *testing.T) { testPublishSubscribe(t, open(t)) })
	t.Run("Wildcards", func(t *testing.T) { testWildcards(t, open(t)) })
	t.Run("CancelStopsDelivery", func(t *testing.T) { testCancel(t, open(t)) })
	t.Run("CancelFromHandler", func(t *testing.T) { testCancelFromHandler(t, open(t)) })
	t.Run("Ping", func(t *testing.T) { testPing(t, open(t)) })
	t.Run("Close", func(t *testing.T) { testClose(t, open(t)) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, open(t)) })
}

func openBus(t *testing.T, cfg bus.Config) bus.Bus {
	t.Helper()
	b, err := bus.Open(context.Background(), cfg, testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// prefix returns a subject prefix no other test or run shares.
func prefix(t *testing.T) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "open110test." + hex.EncodeToString(b[:])
}

type msg struct{ subject, data string }

// collector subscribes and hands received messages to a channel.
func collector(t *testing.T, b bus.Bus, subject string) (<-chan msg, func()) {
	t.Helper()
	ch := make(chan msg, 100)
	cancel, err := b.Subscribe(subject, func(s string, d []byte) { ch <- msg{s, string(d)} })
	if err != nil {
		t.Fatalf("Subscribe %s: %v", subject, err)
	}
	t.Cleanup(cancel)
	return ch, cancel
}

func recv(t *testing.T, ch <-chan msg) msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5s")
		return msg{}
	}
}

func publish(t *testing.T, b bus.Bus, subject, data string) {
	t.Helper()
	if err := b.Publish(context.Background(), subject, []byte(data)); err != nil {
		t.Fatalf("Publish %s: %v", subject, err)
	}
}

func testPublishSubscribe(t *testing.T, b bus.Bus) {
	p := prefix(t)
	ch, _ := collector(t, b, p+".alarm.created")
	publish(t, b, p+".alarm.created", "a1")
	publish(t, b, p+".alarm.other", "ignored")
	publish(t, b, p+".alarm.created", "a2")
	for _, want := range []string{"a1", "a2"} {
		if got := recv(t, ch); got != (msg{p + ".alarm.created", want}) {
			t.Fatalf("got %+v, want data %q", got, want)
		}
	}
	// Empty payloads are fine: a wake-up needs no body.
	publish(t, b, p+".alarm.created", "")
	if got := recv(t, ch); got.data != "" {
		t.Fatalf("got %+v, want empty", got)
	}
}

func testWildcards(t *testing.T, b bus.Bus) {
	p := prefix(t)
	star, _ := collector(t, b, p+".centre.*.queue")
	tail, _ := collector(t, b, p+".centre.>")
	publish(t, b, p+".centre.130102.queue", "q")
	publish(t, b, p+".centre.130102.alarm.9", "deep")

	if got := recv(t, star); got.subject != p+".centre.130102.queue" {
		t.Fatalf("* got %+v", got)
	}
	got := []string{recv(t, tail).data, recv(t, tail).data}
	if got[0] != "q" || got[1] != "deep" {
		t.Fatalf("> got %v", got)
	}
	// "*" matches one token only: "deep" must not arrive on star. A later
	// message on star proves the earlier one was not merely late.
	publish(t, b, p+".centre.130103.queue", "q2")
	if got := recv(t, star); got.data != "q2" {
		t.Fatalf("* got %+v, want q2 (deep subject must not match *)", got)
	}
}

func testCancel(t *testing.T, b bus.Bus) {
	p := prefix(t)
	subject := p + ".x"
	cancelled, cancel := collector(t, b, subject)
	witness, _ := collector(t, b, subject)

	publish(t, b, subject, "before")
	recv(t, cancelled)
	recv(t, witness)

	cancel()
	cancel() // idempotent
	const n = 20
	for i := 0; i < n; i++ {
		publish(t, b, subject, "after")
	}
	// Once the witness has all n, the server has routed them; none may
	// reach the cancelled subscription.
	for i := 0; i < n; i++ {
		recv(t, witness)
	}
	if err := b.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-cancelled:
		t.Fatalf("cancelled subscription got %+v", m)
	default:
	}
}

func testCancelFromHandler(t *testing.T, b bus.Bus) {
	p := prefix(t)
	var (
		mu     sync.Mutex
		calls  int
		cancel func()
	)
	ready := make(chan struct{})
	done := make(chan struct{}, 10)
	c, err := b.Subscribe(p+".once", func(string, []byte) {
		<-ready
		mu.Lock()
		calls++
		mu.Unlock()
		cancel() // must not deadlock
		done <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	cancel = c
	close(ready)
	publish(t, b, p+".once", "1")
	publish(t, b, p+".once", "2")
	publish(t, b, p+".once", "3")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler not called")
	}
	if err := b.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("handler called %d times after cancelling itself, want 1", calls)
	}
}

func testPing(t *testing.T, b bus.Bus) {
	if err := b.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("Ping with deadline: %v", err)
	}
	dead, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := b.Ping(dead); err == nil {
		t.Fatal("Ping with cancelled ctx: want error")
	}
}

func testClose(t *testing.T, b bus.Bus) {
	p := prefix(t)
	ch, _ := collector(t, b, p+".c")
	publish(t, b, p+".c", "x")
	recv(t, ch)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := b.Publish(context.Background(), p+".c", nil); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, err := b.Subscribe(p+".c", func(string, []byte) {}); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Subscribe after Close: %v, want ErrClosed", err)
	}
	if err := b.Ping(context.Background()); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Ping after Close: %v, want ErrClosed", err)
	}
}

func testBadInput(t *testing.T, b bus.Bus) {
	ctx := context.Background()
	for _, s := range []string{"", "a b", "a..b"} {
		if _, err := b.Subscribe(s, func(string, []byte) {}); err == nil {
			t.Errorf("Subscribe(%q): want error", s)
		}
	}
	if err := b.Publish(ctx, "", nil); err == nil {
		t.Error("Publish empty subject: want error")
	}
	if _, err := b.Subscribe(prefix(t)+".x", nil); err == nil {
		t.Error("Subscribe nil handler: want error")
	}
	dead, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Publish(dead, prefix(t)+".x", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish cancelled ctx: %v", err)
	}
}

func testTwoConnections(t *testing.T, a, b bus.Bus) {
	p := prefix(t)
	ch, _ := collector(t, b, p+".>")
	// Subscribe returned, so the interest is on the server: a publish from
	// another connection right away must arrive.
	publish(t, a, p+".wake", "hello")
	if got := recv(t, ch); got.data != "hello" {
		t.Fatalf("got %+v", got)
	}
}

// TestEmbeddedRestart checks that the embedded server comes back on the same
// data dir with its JetStream state.
func TestEmbeddedRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for i := range 2 {
		nb, err := bus.OpenNATS(ctx, bus.Config{DataDir: dir}, testLog(t))
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		if !nb.Embedded() || nb.ClientURL() != "" {
			t.Fatalf("embedded=%v url=%q, want embedded without listener", nb.Embedded(), nb.ClientURL())
		}
		js, err := nb.JetStream()
		if err != nil {
			t.Fatal(err)
		}
		st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: "RESTART", Subjects: []string{"restart.>"}, Storage: jetstream.FileStorage,
		})
		if err != nil {
			t.Fatalf("stream #%d: %v", i, err)
		}
		if _, err := js.Publish(ctx, "restart.x", []byte{byte(i)}); err != nil {
			t.Fatalf("js publish #%d: %v", i, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs != uint64(i+1) {
			t.Fatalf("open #%d: stream has %d msgs, want %d", i, info.State.Msgs, i+1)
		}
		// Plain pub/sub works after the restart too.
		testPublishSubscribe(t, nb)
		if err := nb.Close(); err != nil {
			t.Fatalf("close #%d: %v", i, err)
		}
	}
}

// TestEmbeddedListen checks the optional TCP listener: another client can
// connect by URL, as a second process or a later cluster would.
func TestEmbeddedListen(t *testing.T) {
	ctx := context.Background()
	srv, err := bus.OpenNATS(ctx, bus.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	url := srv.ClientURL()
	if url == "" {
		t.Fatal("no client URL with Listen set")
	}
	client := openBus(t, bus.Config{URL: url})
	testTwoConnections(t, srv, client)
	testTwoConnections(t, client, srv)
}

// TestReconnectBuffer checks the documented behaviour while an external
// server is down: Publish buffers (bounded) and the message goes out on
// reconnect; subscriptions come back by themselves.
func TestReconnectBuffer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := bus.OpenNATS(ctx, bus.Config{DataDir: dir, Listen: "127.0.0.1:0"}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	url := srv.ClientURL()
	listen := url[len("nats://"):]

	client, err := bus.OpenNATS(ctx, bus.Config{URL: url}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	p := prefix(t)
	ch, _ := collector(t, client, p+".>")

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	// Wait until the client has noticed.
	deadline := time.Now().Add(10 * time.Second)
	for client.Conn().IsConnected() {
		if time.Now().After(deadline) {
			t.Fatal("client did not notice the server going away")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := client.Ping(ctx); err == nil {
		t.Fatal("Ping while disconnected: want error")
	}
	publish(t, client, p+".buffered", "while-down")
	big := make([]byte, bus.ReconnectBufferSize+1)
	if err := client.Publish(ctx, p+".big", big); err == nil {
		t.Fatal("publish beyond the reconnect buffer: want error")
	}

	srv2, err := bus.OpenNATS(ctx, bus.Config{DataDir: dir, Listen: listen}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv2.Close() })
	if got := recv(t, ch); got.data != "while-down" {
		t.Fatalf("got %+v", got)
	}
	publish(t, client, p+".after", "up")
	if got := recv(t, ch); got.data != "up" {
		t.Fatalf("got %+v", got)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := bus.Open(ctx, bus.Config{}, nil); err == nil {
		t.Error("embedded without DataDir: want error")
	}
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := bus.Open(ctx, bus.Config{DataDir: f.Name()}, nil); err == nil {
		t.Error("DataDir is a file: want error")
	}
	if _, err := bus.Open(ctx, bus.Config{URL: "nats://127.0.0.1:1"}, nil); err == nil {
		t.Error("unreachable external server: want error")
	}
	if _, err := bus.Open(ctx, bus.Config{URL: "nats://127.0.0.1:1", Listen: "127.0.0.1:0"}, nil); err == nil {
		t.Error("Listen with URL: want error")
	}
	if _, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), Listen: "nonsense"}, nil); err == nil {
		t.Error("bad Listen: want error")
	}
}

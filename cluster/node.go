package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds ./cmd/open110 once per test process and returns its path.
// OPEN110_BINARY names a prebuilt one instead.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("OPEN110_BINARY"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "open110-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "open110")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/open110")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/open110: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// RemoveBinary deletes the binary Binary built (call from TestMain after
// the tests ran; a 50 MB file per test run otherwise stays in the temp dir).
func RemoveBinary() {
	if buildPath != "" {
		os.RemoveAll(filepath.Dir(buildPath))
	}
}

// moduleRoot is the directory holding go.mod (this file sits one below it).
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// Backends are the shared parts every node of a cluster uses.
type Backends struct {
	DB   string // postgres:// URL
	NATS string // nats:// URL
	Blob string // s3:// URL
}

// Cluster is several open110 nodes on the same backends.
type Cluster struct {
	Backends
	Secret   string // hex, the same on every node
	Nodes    []*Node
	bin      string
	keysFile string
	t        testing.TB
	// Env is extra environment for every node (KEY=VALUE).
	Env []string
	// LogLevel for the nodes (default "debug": the secrets test reads it).
	LogLevel string
}

// NewCluster prepares a cluster of n nodes (not started) on b.
func NewCluster(t testing.TB, b Backends, n int) *Cluster {
	t.Helper()
	secret := make([]byte, 32)
	idKey := make([]byte, 32)
	_, _ = rand.Read(secret)
	_, _ = rand.Read(idKey)
	keys := filepath.Join(t.TempDir(), "identity.keys")
	// Nodes sharing a database must seal tipster identities with the same
	// keys (see app/wire_tip.go); the harness writes one file for all.
	if err := os.WriteFile(keys, []byte("k20250101-c1a5e9 "+hex.EncodeToString(idKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Backends: b, Secret: hex.EncodeToString(secret), bin: Binary(t), keysFile: keys, t: t, LogLevel: "debug"}
	for i := 0; i < n; i++ {
		c.Nodes = append(c.Nodes, &Node{Name: fmt.Sprintf("node%d", i), Data: t.TempDir(), c: c})
	}
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			n.Kill()
		}
	})
	return c
}

// Start starts every node, one after another (the first applies the
// migrations and seeds the demo accounts; concurrent first starts would
// only contend on the same rows).
func (c *Cluster) Start() {
	c.t.Helper()
	for _, n := range c.Nodes {
		if err := n.Start(); err != nil {
			c.t.Fatal(err)
		}
	}
}

// URLs lists the base URLs of the nodes that are running.
func (c *Cluster) URLs() []string {
	var out []string
	for _, n := range c.Nodes {
		if u := n.URL(); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// Logs concatenates every node's log so far.
func (c *Cluster) Logs() []byte {
	var b bytes.Buffer
	for _, n := range c.Nodes {
		b.Write(n.Logs())
	}
	return b.Bytes()
}

// Node is one `open110 serve` process. Its port is kept across restarts.
type Node struct {
	Name string
	Data string
	Port int
	c    *Cluster

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	url    string
	starts int
}

// URL is the node's base URL while it runs, "" when it is down.
func (n *Node) URL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.url
}

// LogPath is the file holding the node's log, its stderr (all starts).
// Its stdout (the welcome text, which with --demo prints the demo
// password on purpose) goes to OutPath.
func (n *Node) LogPath() string { return filepath.Join(n.Data, "node.log") }

// OutPath is the file holding the node's stdout.
func (n *Node) OutPath() string { return filepath.Join(n.Data, "node.out") }

// Logs returns the node's log so far.
func (n *Node) Logs() []byte {
	b, _ := os.ReadFile(n.LogPath())
	return b
}

// Outbox is the node's SMS outbox file (OTP codes sent through it).
func (n *Node) Outbox() string { return filepath.Join(n.Data, "sms-outbox.jsonl") }

// Start runs the node and waits until /readyz answers 200.
func (n *Node) Start() error {
	n.mu.Lock()
	if n.cmd != nil {
		n.mu.Unlock()
		return nil
	}
	if n.Port == 0 {
		n.Port = FreePort(n.c.t)
	}
	if err := copyFile(n.c.keysFile, filepath.Join(n.Data, "identity.keys")); err != nil {
		n.mu.Unlock()
		return err
	}
	logf, err := os.OpenFile(n.LogPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		n.mu.Unlock()
		return err
	}
	outf, err := os.OpenFile(n.OutPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		logf.Close()
		n.mu.Unlock()
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(n.Port)
	cmd := exec.Command(n.c.bin, "serve", "--addr", addr, "--data", n.Data, "--db", n.c.DB, "--nats", n.c.NATS,
		"--blob", n.c.Blob, "--secret", n.c.Secret, "--demo", "--log-level", n.c.LogLevel, "--log-format", "json",
		"--shutdown-timeout", "5s")
	cmd.Stdout, cmd.Stderr = outf, logf
	cmd.Env = append(os.Environ(), n.c.Env...)
	if err := cmd.Start(); err != nil {
		logf.Close()
		outf.Close()
		n.mu.Unlock()
		return fmt.Errorf("%s: start: %w", n.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); outf.Close(); close(done) }()
	n.cmd, n.done = cmd, done
	n.starts++
	n.mu.Unlock()

	url := "http://" + addr
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-done:
			n.mu.Lock()
			n.cmd = nil
			n.mu.Unlock()
			return fmt.Errorf("%s exited during start; log tail:\n%s", n.Name, tail(n.Logs(), 3000))
		default:
		}
		if ready(url) {
			break
		}
		if time.Now().After(deadline) {
			n.Kill()
			return fmt.Errorf("%s not ready after 90s; log tail:\n%s", n.Name, tail(n.Logs(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
	n.mu.Lock()
	n.url = url
	n.mu.Unlock()
	return nil
}

func ready(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/readyz", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// Kill ends the node with SIGKILL (no graceful shutdown) and waits for it.
func (n *Node) Kill() { n.signal(syscall.SIGKILL) }

// Stop ends the node with SIGTERM (graceful) and waits for it.
func (n *Node) Stop() { n.signal(syscall.SIGTERM) }

func (n *Node) signal(sig syscall.Signal) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.url = ""
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	n.mu.Lock()
	n.cmd = nil
	n.mu.Unlock()
}

// Pid is the node's process id (0 when down).
func (n *Node) Pid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

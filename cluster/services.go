package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for DB()
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitTCP waits until something accepts on addr.
func waitTCP(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not accepting after %s: %w", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Postgres is a private PostgreSQL cluster (initdb'd for the test, its own
// port and socket directory), so a test may restart it without touching the
// machine's shared server.
type Postgres struct {
	Dir  string
	Port int
	bin  string
	t    testing.TB
}

// PostgresBinDir finds PostgreSQL's server binaries (initdb, pg_ctl).
func PostgresBinDir() string {
	if d := os.Getenv("OPEN110_PG_BIN"); d != "" {
		return d
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(ms) == 0 {
		return ""
	}
	return filepath.Dir(ms[len(ms)-1])
}

// StartPostgres initialises and starts a private cluster, skipping the test
// when PostgreSQL's binaries are not installed. As root it runs the server
// as the postgres user (initdb refuses root). Stopped at cleanup.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bin := PostgresBinDir()
	if bin == "" {
		t.Skip("PostgreSQL server binaries not found (apt-get install postgresql)")
	}
	// Not t.TempDir: its parents are 0700 root, which the postgres user
	// cannot traverse.
	dir, err := os.MkdirTemp("", "open110-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &Postgres{Dir: dir, Port: FreePort(t), bin: bin, t: t}
	t.Cleanup(func() {
		_ = p.pgctl("stop", "-m", "immediate", "-w", "-t", "20")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := p.command(filepath.Join(bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres",
		"--auth=trust", "--no-instructions", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func (p *Postgres) pgctl(args ...string) error {
	full := append([]string{"-D", filepath.Join(p.Dir, "data")}, args...)
	out, err := p.command(filepath.Join(p.bin, "pg_ctl"), full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Start starts the server (after StartPostgres or Stop) and waits for it.
func (p *Postgres) Start() error {
	// fsync stays on: the chaos test counts what survives a crash of the
	// server process, and the settings are the defaults a province would run.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", p.Port, p.Dir)
	if err := p.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(p.Dir, "server.log"), "-o", opts); err != nil {
		return err
	}
	return waitTCP(fmt.Sprintf("127.0.0.1:%d", p.Port), 30*time.Second)
}

// Crash stops the server the way a crash would (immediate mode: no
// checkpoint, recovery from WAL at the next start).
func (p *Postgres) Crash() error { return p.pgctl("stop", "-m", "immediate", "-w", "-t", "30") }

// Restart crashes and starts the server again.
func (p *Postgres) Restart() error {
	if err := p.Crash(); err != nil {
		return err
	}
	return p.Start()
}

// CreateDB creates a database and returns its URL.
func (p *Postgres) CreateDB(name string) string {
	p.t.Helper()
	admin, err := sql.Open("pgx", p.URL("postgres"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		p.t.Fatalf("create database %s: %v", name, err)
	}
	return p.URL(name)
}

// URL is the connection URL of database name.
func (p *Postgres) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, name)
}

// NATS is a private nats-server process with JetStream, restartable on the
// same port and store.
type NATS struct {
	Port int
	Dir  string
	bin  string
	cmd  *exec.Cmd
	done chan struct{}
	t    testing.TB
}

// NATSBinary finds nats-server.
func NATSBinary() string {
	if b := os.Getenv("OPEN110_NATS_SERVER"); b != "" {
		return b
	}
	for _, c := range []string{"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"} {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	return ""
}

// StartNATS starts a private nats-server -js; it skips the test when the
// binary is not installed. Stopped at cleanup.
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	bin := NATSBinary()
	if bin == "" {
		t.Skip("nats-server not found (apt-get install nats-server)")
	}
	n := &NATS{Port: FreePort(t), Dir: t.TempDir(), bin: bin, t: t}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

// URL is the client URL.
func (n *NATS) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.Port) }

// Start runs the server and waits until it accepts clients.
func (n *NATS) Start() error {
	cmd := exec.Command(n.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(n.Port), "-js", "-sd", n.Dir,
		"-l", filepath.Join(n.Dir, "nats.log"))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("nats-server: %w", err)
	}
	n.cmd, n.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(n.done)
	return waitTCP(fmt.Sprintf("127.0.0.1:%d", n.Port), 20*time.Second)
}

// Stop kills the server (SIGKILL: no lame-duck, clients see the socket drop).
func (n *NATS) Stop() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	n.cmd = nil
}

// Restart kills and starts the server again on the same port and store.
func (n *NATS) Restart() error {
	n.Stop()
	return n.Start()
}

// S3 is an S3-compatible object store (gofakes3, in memory) serving real
// HTTP on 127.0.0.1; nodes reach it through minio-go like any S3 server.
type S3 struct {
	srv *httptest.Server
}

// StartS3 starts the store; it is closed at cleanup.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true))
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	return &S3{srv: srv}
}

// Test credentials; gofakes3 does not check them, but the nodes sign with
// them as they would with a real server (and the secrets test looks for
// the secret in the logs).
const (
	S3AccessKey = "open110-cluster"
	S3SecretKey = "s3-secret-9f8e7d6c5b4a"
)

// URL is the node's --blob value for bucket.
func (s *S3) URL(bucket string) string {
	return fmt.Sprintf("s3://%s:%s@%s/%s?secure=false", S3AccessKey, S3SecretKey, strings.TrimPrefix(s.srv.URL, "http://"), bucket)
}

// Handler is the store's HTTP handler (for checks from the test).
func (s *S3) Handler() http.Handler { return s.srv.Config.Handler }

// DB opens a database/sql handle on a PostgreSQL URL for checks.
func DB(t testing.TB, url string) *sql.DB {
	t.Helper()
	d, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.PingContext(ctx); err != nil {
		t.Fatalf("db: %v", err)
	}
	return d
}

// Command server is open110's media path alone, for benchmarks: the real
// media.Service (SFU, recording to WebM segments in the blob store, SQLite
// rows, audit) behind a stand-in for the alarm and account features that
// accepts the load generator's "direct" tokens: c<i> is the caller and d<j>
// the answering dispatcher of every alarm (all video alarms).
//
//	go run ./bench/media/server --addr 127.0.0.1:8120 --data /tmp/mb
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"open110/account"
	"open110/audit"
	"open110/media"
	"open110/platform/apperr"
	"open110/platform/blob"
	"open110/platform/db"
)

type alarms struct{}

func (alarms) Access(_ context.Context, p account.Principal, id string) (media.Grant, error) {
	a := media.Alarm{ID: id, Kind: media.KindVideo, State: "answered", CallerID: "bench"}
	switch {
	case p.ID == "":
		return media.Grant{}, apperr.ErrNotFound
	case p.ID[0] == 'c':
		return media.Grant{Role: media.RoleCaller, Alarm: a}, nil
	case p.ID[0] == 'd':
		return media.Grant{Role: media.RoleDispatcher, Alarm: a}, nil
	}
	return media.Grant{Role: media.RoleObserver, Alarm: a}, nil
}

func (alarms) Get(_ context.Context, id string) (media.Alarm, error) {
	return media.Alarm{ID: id, Kind: media.KindVideo, State: "answered", CallerID: "bench"}, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8120", "listen address")
	data := flag.String("data", "", "data dir (required)")
	udp := flag.String("udp", "", "one shared UDP socket for all media (batched writes); empty: a port per peer")
	segment := flag.Duration("segment", 10*time.Second, "recording segment length")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "--data is required")
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := db.Open(ctx, "", *data, log)
	if err != nil {
		panic(err)
	}
	if err := d.Migrate(ctx, audit.Migrations(), media.Migrations()); err != nil {
		panic(err)
	}
	bs, err := blob.Open(ctx, "", *data)
	if err != nil {
		panic(err)
	}
	svc, err := media.New(ctx, media.Config{DataDir: *data, Loopback: true, LoopbackOnly: true, UDPAddr: *udp, SegmentDuration: *segment},
		media.Deps{DB: d, Blob: bs, Audit: audit.New(d, nil), Alarms: alarms{}, Log: log})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	svc.Register(mux)
	srv := &http.Server{Addr: *addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("access_token"); tok != "" {
			r = r.WithContext(account.WithPrincipal(r.Context(), account.Principal{Kind: account.Officer, ID: tok, Username: tok}))
		}
		mux.ServeHTTP(w, r)
	})}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Printf("media bench server on http://%s pid %d\n", *addr, os.Getpid())
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		panic(err)
	}
	svc.Close()
	st := svc.Stats()
	fmt.Printf("segments uploaded: %d\n", st.SegmentsUploaded)
	d.Close()
}

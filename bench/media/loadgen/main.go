// Command loadgen runs media/loadgen (the same code as `open110 loadgen`)
// for benchmarks before the flag wiring exists in cmd/open110.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"open110/media/loadgen"
)

func main() {
	var o loadgen.Options
	flag.StringVar(&o.Server, "server", "", "server base URL")
	flag.IntVar(&o.Callers, "callers", 10, "concurrent alarms")
	flag.IntVar(&o.Dispatchers, "dispatchers", 1, "answering dispatcher sessions")
	flag.DurationVar(&o.Duration, "duration", 0, "measured time (default 30s)")
	flag.IntVar(&o.BitrateKbps, "bitrate-kbps", 1000, "caller video bitrate")
	flag.StringVar(&o.Mode, "mode", "api", "api (real HTTP API) or direct (bench server / relay)")
	flag.StringVar(&o.Outbox, "outbox", "", "server's sms-outbox.jsonl (api mode)")
	flag.IntVar(&o.ServerPID, "server-pid", 0, "server pid for CPU/RSS from /proc")
	flag.IntVar(&o.Ramp, "ramp", 25, "alarms started per second")
	flag.StringVar(&o.Label, "label", "", "label in the summary")
	flag.Parse()
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := loadgen.Run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

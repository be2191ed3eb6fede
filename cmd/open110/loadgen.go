package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"open110/media/loadgen"
)

// loadgenCmd: open110 loadgen --server URL --callers N --dispatchers M
// --duration 30s --bitrate-kbps 1000 (DESIGN §6). The JSON summary is the
// last line on stdout; progress goes to stderr.
func loadgenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o loadgen.Options
	fs.StringVar(&o.Server, "server", "", "server base URL, e.g. http://127.0.0.1:8110 (required)")
	fs.IntVar(&o.Callers, "callers", 10, "concurrent video alarms (synthetic callers)")
	fs.IntVar(&o.Dispatchers, "dispatchers", 1, "answering dispatcher sessions")
	fs.DurationVar(&o.Duration, "duration", 0, "measured steady state (default 30s)")
	fs.IntVar(&o.BitrateKbps, "bitrate-kbps", 1000, "caller video bitrate")
	fs.IntVar(&o.FPS, "fps", 30, "caller video frame rate")
	fs.StringVar(&o.Mode, "mode", "api", "api: through the HTTP API (OTP sign-in, raise, answer); direct: bench/media servers")
	fs.StringVar(&o.Outbox, "outbox", "", "the server's <data>/sms-outbox.jsonl, to read OTP codes (api mode)")
	fs.StringVar(&o.Dispatcher, "dispatcher", "", "dispatcher username (default d<centre of the alarms>)")
	fs.StringVar(&o.Password, "password", "open110-demo", "dispatcher password")
	fs.StringVar(&o.Kind, "kind", "video", "alarm kind: video, silent or voice")
	fs.Float64Var(&o.Lat, "lat", 0, "where alarms are raised (default Shijiazhuang)")
	fs.Float64Var(&o.Lng, "lng", 0, "where alarms are raised")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "server pid: CPU and RSS from /proc (default: from /metrics)")
	fs.IntVar(&o.Ramp, "ramp", 25, "alarms started per second")
	fs.StringVar(&o.Label, "label", "", "label echoed in the summary")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.Log = stderr
	if err := loadgen.Run(ctx, o, stdout); err != nil {
		fmt.Fprintln(stderr, "open110 loadgen:", err)
		return 1
	}
	return 0
}

func init() {
	commands["loadgen"] = command{"drive synthetic video alarms against a server and print a JSON summary", loadgenCmd}
}

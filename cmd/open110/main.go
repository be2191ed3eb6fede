// Command open110 is the whole platform in one binary:
//
//	open110 serve [flags]          run a node (embedded SQLite, NATS and files by default)
//	open110 migrate [flags]        apply database migrations and exit
//	open110 audit verify [flags]   check the audit hash chain; non-zero exit names the first bad entry
//	open110 version                print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Shanghai must resolve on minimal hosts too

	"open110/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand; extra subcommands (loadgen, evidence verify)
// register themselves in their own files.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"serve":   {"run a node", serve},
	"migrate": {"apply database migrations and exit", migrate},
	"audit":   {"audit verify: check the audit hash chain", auditCmd},
	"version": {"print the version", func(context.Context, []string, io.Writer, io.Writer) int { fmt.Println(app.Version); return 0 }},
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "open110: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: open110 <command> [flags]\n\ncommands:")
	for _, name := range sortedKeys(commands) {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nrun 'open110 <command> -h' for the flags of a command")
}

func sortedKeys(m map[string]command) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// parseConfig parses serve's flags (shared by migrate and audit verify).
func parseConfig(name string, args []string, stderr io.Writer) (app.Config, int, bool) {
	var cfg app.Config
	fs := flag.NewFlagSet("open110 "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.Flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, 0, false
		}
		return cfg, 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "open110 %s: unexpected arguments %v\n", name, fs.Args())
		return cfg, 2, false
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "open110 %s: %v\n", name, err)
		return cfg, 2, false
	}
	return cfg, 0, true
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, code, ok := parseConfig("serve", args, stderr)
	if !ok {
		return code
	}
	a, err := app.Start(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "open110 serve: %v\n", err)
		return 1
	}
	a.Log.Info("open110 ready", "url", a.URL, "config", a.Cfg.String())
	printWelcome(stdout, a)
	if err := a.Wait(ctx); err != nil {
		fmt.Fprintf(stderr, "open110 serve: %v\n", err)
		return 1
	}
	return 0
}

func printWelcome(w io.Writer, a *app.App) {
	fmt.Fprintf(w, "\nopen110 %s is ready\n", app.Version)
	fmt.Fprintf(w, "  citizen app   %s/\n", a.URL)
	fmt.Fprintf(w, "  console       %s/console/\n", a.URL)
	fmt.Fprintf(w, "  poster (QR)   %s/poster\n", a.URL)
	fmt.Fprintf(w, "  API document  %s/api/v1/openapi.json\n", a.URL)
	if !a.Cfg.Demo {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "\nDemo data for Hebei: %d demo accounts, password %q\n", len(a.Demo), "open110-demo")
	fmt.Fprintln(w, "  admin            province supervisor/admin (河北省公安厅110指挥中心)")
	shown := 0
	for _, d := range a.Demo {
		if d.Username == "admin" || shown >= 9 {
			continue
		}
		if d.Center == "130100" || d.Center == "130102" || d.Center == "130000" {
			fmt.Fprintf(w, "  %-16s %-10s %s\n", d.Username, d.Role, d.CenterName)
			shown++
		}
	}
	fmt.Fprintln(w, "  …and for every centre with code C: dC (dispatcher), hC (handler); sC (supervisor) for the province and cities")
	fmt.Fprintf(w, "Citizens sign in with any mainland mobile number; codes are written to %s/sms-outbox.jsonl\n\n", a.Cfg.Data)
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, code, ok := parseConfig("migrate", args, stderr)
	if !ok {
		return code
	}
	if err := app.Migrate(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "open110 migrate: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "migrations applied")
	return 0
}

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: open110 audit verify [--data DIR] [--db URL]")
		return 2
	}
	cfg, code, ok := parseConfig("audit verify", args[1:], stderr)
	if !ok {
		return code
	}
	res, err := app.VerifyAudit(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "open110 audit verify: %v\n", err)
		return 1
	}
	if !res.OK {
		fmt.Fprintf(stdout, "audit chain BROKEN at entry %d: %s (%d entries before it are intact)\n", res.BadSeq, res.Problem, res.Entries)
		return 1
	}
	fmt.Fprintf(stdout, "audit chain OK: %d entries, head %s\n", res.Entries, res.HeadHash)
	return 0
}

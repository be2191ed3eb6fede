// Package shape holds the compact on-disk form of the embedded boundaries and
// the polygon types shared by the generator and the router.
//
// Every vertex of the source data lies on a 1/1024° grid (echarts'
// quantisation), so coordinates are stored as integers in that unit. Integer
// vertices make point-in-polygon exact in float64 and keep the file small
// (delta + zigzag varints, about 2 bytes a vertex).
package shape

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Scale is the number of grid units in one degree.
const Scale = 1024

// Point is a GCJ-02 position in 1/Scale degree units; X is longitude.
type Point struct{ X, Y int32 }

// Lng returns the longitude in degrees.
func (p Point) Lng() float64 { return float64(p.X) / Scale }

// Lat returns the latitude in degrees.
func (p Point) Lat() float64 { return float64(p.Y) / Scale }

// FromDegrees quantises a GCJ-02 position, failing if it is not on the grid.
func FromDegrees(lng, lat float64) (Point, error) {
	x, y := lng*Scale, lat*Scale
	if x != math.Round(x) || y != math.Round(y) {
		return Point{}, fmt.Errorf("vertex (%v, %v) is not on the 1/%d° grid", lng, lat, Scale)
	}
	return Point{int32(x), int32(y)}, nil
}

// Ring is a closed ring without the repeated closing vertex.
type Ring []Point

// Polygon is an outer ring followed by zero or more holes.
type Polygon []Ring

// Kind says which layer a feature belongs to.
type Kind uint8

// Layers stored in the file.
const (
	County Kind = 0 // a county-level unit: the routing layer
	City   Kind = 1 // a prefecture city's outline (echarts): only repairs gaps
)

// Feature is one unit's geometry.
type Feature struct {
	Code     string
	Kind     Kind
	Polygons []Polygon
}

const magic = "O110GEO1"

// Encode serialises features in the compact format.
func Encode(fs []Feature) []byte {
	b := []byte(magic)
	b = binary.AppendUvarint(b, uint64(len(fs)))
	var prev Point // deltas run across the whole file
	for _, f := range fs {
		b = binary.AppendUvarint(b, uint64(len(f.Code)))
		b = append(b, f.Code...)
		b = append(b, byte(f.Kind))
		b = binary.AppendUvarint(b, uint64(len(f.Polygons)))
		for _, p := range f.Polygons {
			b = binary.AppendUvarint(b, uint64(len(p)))
			for _, r := range p {
				b = binary.AppendUvarint(b, uint64(len(r)))
				for _, v := range r {
					b = binary.AppendVarint(b, int64(v.X-prev.X))
					b = binary.AppendVarint(b, int64(v.Y-prev.Y))
					prev = v
				}
			}
		}
	}
	return b
}

// ErrCorrupt reports a malformed compact file.
var ErrCorrupt = errors.New("shape: corrupt data")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	// Every counted element takes at least one byte, so a count larger than
	// what remains is corrupt; this bounds allocations on hostile input.
	if n <= 0 || v > uint64(len(r.b)) {
		r.err = ErrCorrupt
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *reader) varint() int32 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 || v > math.MaxInt32 || v < math.MinInt32 {
		r.err = ErrCorrupt
		return 0
	}
	r.b = r.b[n:]
	return int32(v)
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = ErrCorrupt
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// Decode parses the compact format.
func Decode(b []byte) ([]Feature, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	}
	r := &reader{b: b[len(magic):]}
	fs := make([]Feature, r.uvarint())
	var prev Point
	for i := range fs {
		f := &fs[i]
		f.Code = string(r.bytes(r.uvarint()))
		if k := r.bytes(1); k != nil {
			f.Kind = Kind(k[0])
		}
		f.Polygons = make([]Polygon, r.uvarint())
		for j := range f.Polygons {
			p := make(Polygon, r.uvarint())
			for k := range p {
				ring := make(Ring, r.uvarint())
				for m := range ring {
					prev.X += r.varint()
					prev.Y += r.varint()
					ring[m] = prev
				}
				p[k] = ring
			}
			f.Polygons[j] = p
		}
		if r.err != nil {
			return nil, fmt.Errorf("feature %d: %w", i, r.err)
		}
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.b))
	}
	return fs, nil
}

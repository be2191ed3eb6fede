package shape

import (
	"errors"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := []Feature{
		{Code: "130102", Kind: County, Polygons: []Polygon{{{{1, 2}, {3, -4}, {116000, 38000}}, {{5, 5}, {6, 6}, {7, 5}}}}},
		{Code: "130100", Kind: City, Polygons: []Polygon{{{{-100, 200}, {0, 0}, {9, 9}}}, {{{1, 1}, {2, 2}, {3, 1}}}}},
	}
	out, err := Decode(Encode(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	good := Encode([]Feature{{Code: "130102", Polygons: []Polygon{{{{1, 2}, {3, 4}, {5, 6}}}}}})
	for _, b := range [][]byte{nil, []byte("nope"), good[:len(good)-1], append(append([]byte{}, good...), 0)} {
		if _, err := Decode(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode(%q) err = %v, want ErrCorrupt", b, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode([]Feature{{Code: "1", Polygons: []Polygon{{{{1, 2}}}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Decode(b) // must not panic or allocate without bound
	})
}

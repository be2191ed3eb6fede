package coord

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Published vectors from googollee/eviltransform's test suite (MIT), WGS-84
// → GCJ-02. eviltransform uses a 6378137 m radius where the original
// formula (and coordtransform) use Krasovsky's 6378245 m; the difference is
// about 1e-8°, so we compare to 1e-6° (≈0.1 m).
var vectors = []struct {
	name                   string
	wLat, wLng, gLat, gLng float64
}{
	{"shanghai", 31.1774276, 121.5272106, 31.17530398364597, 121.531541859215},
	{"shenzhen", 22.543847, 113.912316, 22.540796131694766, 113.9171764808363},
	{"beijing", 39.911954, 116.377817, 39.91334545536069, 116.38404722455657},
}

func TestWGS84ToGCJ02Vectors(t *testing.T) {
	for _, v := range vectors {
		gLat, gLng := WGS84ToGCJ02(v.wLat, v.wLng)
		if math.Abs(gLat-v.gLat) > 1e-6 || math.Abs(gLng-v.gLng) > 1e-6 {
			t.Errorf("%s: WGS84ToGCJ02 = %.9f,%.9f want %.9f,%.9f", v.name, gLat, gLng, v.gLat, v.gLng)
		}
		wLat, wLng := GCJ02ToWGS84(v.gLat, v.gLng)
		if d := DistanceM(wLat, wLng, v.wLat, v.wLng); d > 0.5 {
			t.Errorf("%s: GCJ02ToWGS84 off by %.3f m", v.name, d)
		}
	}
}

func TestRoundTripHebei(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for range 10000 {
		lat, lng := 36+rng.Float64()*6.7, 113.4+rng.Float64()*6.5
		gLat, gLng := WGS84ToGCJ02(lat, lng)
		if off := DistanceM(lat, lng, gLat, gLng); off < 100 || off > 1000 {
			t.Fatalf("offset at %v,%v is %.0f m, want a few hundred", lat, lng, off)
		}
		bLat, bLng := GCJ02ToWGS84(gLat, gLng)
		worst = math.Max(worst, DistanceM(lat, lng, bLat, bLng))
	}
	if worst > 0.5 {
		t.Fatalf("inverse error %.4f m, want < 0.5 m", worst)
	}
	t.Logf("worst inverse error %.2e m", worst)
}

func TestOutOfChinaNoOffset(t *testing.T) {
	for _, p := range [][2]float64{{51.5, -0.12}, {35.68, 139.77}, {-33.9, 151.2}} {
		if a, b := WGS84ToGCJ02(p[0], p[1]); a != p[0] || b != p[1] {
			t.Errorf("%v moved to %v,%v", p, a, b)
		}
		if a, b := GCJ02ToWGS84(p[0], p[1]); a != p[0] || b != p[1] {
			t.Errorf("%v moved to %v,%v", p, a, b)
		}
	}
}

func TestDistanceM(t *testing.T) {
	// One degree of latitude is about 111.2 km.
	if d := DistanceM(38, 114, 39, 114); math.Abs(d-111195) > 100 {
		t.Fatalf("1° latitude = %.0f m", d)
	}
}

func BenchmarkWGS84ToGCJ02(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		WGS84ToGCJ02(38+float64(i%100)*0.01, 115)
	}
}

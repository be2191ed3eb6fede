package geo

import (
	"errors"
	"math"
	"testing"

	"open110/platform/apperr"
)

// landmarks are well-known places, WGS-84 (as a phone's GPS reports them),
// each well inside its county-level unit. Every city is covered, as are the
// renamed codes, the Xingtai redistricting, the Langfang exclave (三河, 大厂,
// 香河) and the holes (Beijing, Tianjin), which must be outside.
var landmarks = []struct {
	name     string
	lat, lng float64
	county   string // "" = outside Hebei
}{
	// 石家庄 130100
	{"正定 隆兴寺", 38.1475, 114.5769, "130123"},
	{"赵州桥", 37.7131, 114.7667, "130133"},
	{"西柏坡", 38.3455, 113.9388, "130131"},
	{"正定国际机场", 38.2807, 114.6973, "130123"},
	{"石家庄站", 38.0103, 114.4825, "130104"},
	{"河北博物院", 38.0427, 114.5217, "130102"},
	{"晋州城区", 38.033, 115.044, "130183"},
	{"辛集城区", 37.92, 115.22, "130181"},
	// 唐山 130200
	{"唐山 南湖", 39.606, 118.180, "130202"},
	{"清东陵", 40.1883, 117.6486, "130281"},
	{"迁安城区", 40.0, 118.70, "130283"},
	{"乐亭城区", 39.42, 118.91, "130225"},
	{"曹妃甸 唐海", 39.27, 118.45, "130209"},
	{"滦州古城 (130223→130284)", 39.74, 118.70, "130284"},
	// 秦皇岛 130300
	{"山海关 天下第一关", 40.0093, 119.7537, "130303"},
	{"北戴河", 39.826, 119.486, "130304"},
	{"海港区", 39.935, 119.60, "130302"},
	{"昌黎城区", 39.71, 119.16, "130322"},
	{"青龙城区", 40.41, 118.95, "130321"},
	// 邯郸 130400
	{"邯郸 丛台", 36.6180, 114.4940, "130403"},
	{"涉县城区", 36.57, 113.67, "130426"},
	{"广府古城 (130429→130408)", 36.708, 114.708, "130408"},
	{"肥乡 (130428→130407)", 36.55, 114.80, "130407"},
	{"大名城区", 36.29, 115.15, "130425"},
	{"武安城区", 36.70, 114.20, "130481"},
	// 邢台 130500
	{"邢台 清风楼", 37.06, 114.50, "130502"},
	{"former 邢台县, west (→信都区)", 37.10, 114.05, "130503"},
	{"任泽 (130526→130505)", 37.12, 114.68, "130505"},
	{"南和 (130527→130506)", 37.00, 114.71, "130506"},
	{"内丘城区", 37.29, 114.51, "130523"},
	{"宁晋城区", 37.62, 114.92, "130528"},
	{"南宫城区", 37.36, 115.41, "130581"},
	{"清河城区", 37.04, 115.67, "130534"},
	{"沙河城区", 36.86, 114.50, "130582"},
	// 保定 130600
	{"直隶总督署", 38.8663, 115.4924, "130606"},
	{"安新 白洋淀", 38.92, 115.93, "130632"},
	{"清西陵", 39.33, 115.34, "130633"},
	{"涿州城区", 39.49, 115.97, "130681"},
	{"定州城区", 38.52, 114.99, "130682"},
	{"野三坡", 39.68, 115.42, "130623"},
	// 张家口 130700
	{"大境门", 40.8365, 114.8737, "130703"},
	{"崇礼", 40.97, 115.28, "130709"},
	{"张北城区", 41.16, 114.71, "130722"},
	{"蔚县城区", 39.84, 114.58, "130726"},
	{"宣化古城", 40.61, 115.05, "130705"},
	{"怀来城区", 40.41, 115.52, "130730"},
	// 承德 130800
	{"避暑山庄", 40.995, 117.935, "130802"},
	{"普宁寺", 41.01, 117.95, "130802"},
	{"塞罕坝", 42.40, 117.25, "130828"},
	{"平泉 (130823→130881)", 41.02, 118.70, "130881"},
	{"金山岭长城", 40.68, 117.24, "130824"},
	{"兴隆城区", 40.42, 117.50, "130822"},
	// 沧州 130900 (defective source data: only inner points)
	{"沧州 铁狮子 (旧州)", 38.23, 117.03, "130921"},
	{"沧州 运河区", 38.30, 116.85, "130903"},
	{"吴桥 杂技大世界", 37.63, 116.39, "130928"},
	{"泊头城区", 38.08, 116.58, "130981"},
	{"任丘城区", 38.71, 116.10, "130982"},
	{"黄骅城区", 38.37, 117.33, "130983"},
	{"河间城区", 38.45, 116.09, "130984"},
	// 廊坊 131000, with the exclave
	{"燕郊 (三河, exclave)", 39.96, 116.82, "131082"},
	{"三河城区 (exclave)", 39.98, 117.07, "131082"},
	{"大厂 (exclave)", 39.89, 116.99, "131028"},
	{"香河 (exclave)", 39.76, 117.00, "131024"},
	{"廊坊 广阳区", 39.52, 116.71, "131003"},
	{"霸州城区", 39.12, 116.39, "131081"},
	{"固安城区", 39.44, 116.30, "131022"},
	// 衡水 131100
	{"衡水湖", 37.63, 115.63, "131102"},
	{"衡水 桃城区", 37.74, 115.69, "131102"},
	{"景县城区", 37.69, 116.27, "131127"},
	{"深州城区", 38.00, 115.56, "131182"},
	{"安平城区", 38.23, 115.52, "131125"},
	// holes and neighbours: outside
	{"北京 天安门", 39.9087, 116.3975, ""},
	{"北京 通州 (between Beijing proper and the exclave)", 39.90, 116.66, ""},
	{"北京 平谷", 40.14, 117.12, ""},
	{"天津站", 39.136, 117.21, ""},
	{"天津 武清", 39.38, 117.04, ""},
	{"天津 蓟州", 40.05, 117.41, ""},
	{"渤海", 39.0, 119.5, ""},
	{"太原", 37.87, 112.55, ""},
	{"济南", 36.67, 117.0, ""},
}

func TestLandmarks(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cities := map[string]bool{}
	for _, lm := range landmarks {
		rt, err := r.Route(lm.lat, lm.lng)
		if lm.county == "" {
			var oe *OutsideError
			if !errors.As(err, &oe) || CodeOf(err) != CodeOutsideJurisdiction {
				t.Errorf("%s: got %+v, %v; want outside_jurisdiction", lm.name, rt, err)
				continue
			}
			if oe.NearestCenter.Code == "" || oe.DistanceM <= 0 || math.IsNaN(oe.DistanceM) {
				t.Errorf("%s: outside without nearest centre/distance: %+v", lm.name, oe)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", lm.name, err)
			continue
		}
		if rt.County.Code != lm.county || rt.Gap {
			t.Errorf("%s: routed to %s %s (gap=%v), want %s", lm.name, rt.County.Code, rt.County.Name, rt.Gap, lm.county)
		}
		if rt.City.Code != rt.County.Parent || rt.Center != rt.County || rt.Reason != ReasonOwnCenter {
			t.Errorf("%s: inconsistent route %+v", lm.name, rt)
		}
		cities[rt.City.Code] = true
	}
	if len(landmarks) < 40 || len(cities) != 11 {
		t.Fatalf("%d landmarks over %d cities; want ≥40 over all 11", len(landmarks), len(cities))
	}
}

func TestOwnCentersAndFallback(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	const lat, lng = 38.1475, 114.5769 // 正定
	if err := r.SetOwnCenters([]string{"130102"}); err != nil {
		t.Fatal(err)
	}
	rt, err := r.Route(lat, lng)
	if err != nil || rt.Center.Code != "130100" || rt.Reason != ReasonCityFallback || rt.County.Code != "130123" {
		t.Fatalf("fallback: %+v %v", rt, err)
	}
	if err := r.SetOwnCenters([]string{"130123"}); err != nil {
		t.Fatal(err)
	}
	if rt, _ := r.Route(lat, lng); rt.Center.Code != "130123" || rt.Reason != ReasonOwnCenter {
		t.Fatalf("own: %+v", rt)
	}
	for _, bad := range []string{"130100", "130171", "110101", ""} {
		if err := r.SetOwnCenters([]string{"130123", bad}); err == nil {
			t.Errorf("SetOwnCenters(%q) accepted", bad)
		}
	}
	if got := r.OwnCenters(); len(got) != 1 || got[0] != "130123" {
		t.Fatalf("a rejected set changed the config: %v", got)
	}
}

func TestOverflowChain(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code string
		want []string
	}{
		{"130123", []string{"130123", "130100", "130000"}},
		{"131082", []string{"131082", "131000", "130000"}},
		{"130100", []string{"130100", "130000"}},
		{"130000", []string{"130000"}},
		{"130171", nil},
		{"x", nil},
	}
	for _, tt := range tests {
		got := r.OverflowChain(tt.code)
		if len(got) != len(tt.want) {
			t.Errorf("OverflowChain(%s) = %v, want %v", tt.code, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("OverflowChain(%s) = %v, want %v", tt.code, got, tt.want)
			}
		}
	}
}

func TestBadPositions(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lat, lng float64
		code     string
		hint     bool
	}{
		{"NaN", math.NaN(), 114.5, CodeInvalidPosition, false},
		{"Inf", 38, math.Inf(1), CodeInvalidPosition, false},
		{"lat > 90", 91, 114.5, CodeInvalidPosition, false},
		{"lng < -180", 38, -181, CodeInvalidPosition, false},
		{"swapped Hebei point", 114.5769, 38.1475, CodeOutsideJurisdiction, true},
		{"swapped, not Hebei", 116.3975, 39.9087, CodeInvalidPosition, false}, // Beijing swapped
		{"null island", 0, 0, CodeOutsideJurisdiction, false},
		{"London", 51.5, -0.12, CodeOutsideJurisdiction, false},
	}
	for _, tt := range tests {
		_, err := r.Route(tt.lat, tt.lng)
		if CodeOf(err) != tt.code {
			t.Errorf("%s: code %q (%v), want %s", tt.name, CodeOf(err), err, tt.code)
			continue
		}
		var oe *OutsideError
		if errors.As(err, &oe) && oe.Swapped != tt.hint {
			t.Errorf("%s: swapped = %v, want %v", tt.name, oe.Swapped, tt.hint)
		}
		if e := apperr.From(err); tt.hint && e.Details["hint"] != HintSwapped {
			t.Errorf("%s: details %v lack the swap hint", tt.name, e.Details)
		}
	}
	vtests := []struct {
		lat, lng, acc float64
		code          string
	}{
		{38, 114.5, 10, ""},
		{38, 114.5, 0, ""},
		{38, 114.5, -1, CodeInvalidPosition},
		{38, 114.5, math.NaN(), CodeInvalidPosition},
		{math.NaN(), 114.5, 10, CodeInvalidPosition},
		{114.5, 38, 10, CodeOutsideJurisdiction},
		{-91, 0, 10, CodeInvalidPosition},
	}
	for _, tt := range vtests {
		if got := CodeOf(ValidatePosition(tt.lat, tt.lng, tt.acc)); got != tt.code {
			t.Errorf("ValidatePosition(%v, %v, %v) = %q, want %q", tt.lat, tt.lng, tt.acc, got, tt.code)
		}
	}
}

// TestGapRepairCangzhou: points in a city outline but in no county polygon
// (mostly Cangzhou's defective data) go to a county, deterministically.
func TestGapRepairCangzhou(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	gaps := 0
	for _, p := range benchPoints(40000, nil) {
		rt, err := r.Route(p[0], p[1])
		if err == nil && rt.Gap {
			gaps++
			if rt.City.Code != "130900" {
				t.Errorf("gap repair outside Cangzhou: %v → %s %s", p, rt.County.Code, rt.County.Name)
			}
			again, _ := r.Route(p[0], p[1])
			if again != rt {
				t.Fatalf("gap repair not deterministic at %v", p)
			}
		}
	}
	if gaps == 0 {
		t.Fatal("no gap-repaired point among 40,000; the Cangzhou repair is not exercised")
	}
}

// TestSetOwnCentersConcurrent: reconfiguring while routing is race-free and
// every route sees one whole configuration or the other.
func TestSetOwnCentersConcurrent(t *testing.T) {
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			set := []string{"130123"}
			if i%2 == 1 {
				set = nil
			}
			if err := r.SetOwnCenters(set); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		rt, err := r.Route(38.1475, 114.5769)
		if err != nil {
			t.Fatal(err)
		}
		if (rt.Reason == ReasonOwnCenter) != (rt.Center.Code == "130123") {
			t.Fatalf("torn route %+v", rt)
		}
	}
}

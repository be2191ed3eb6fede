package geo

import "testing"

func TestUnitsTree(t *testing.T) {
	count := map[Level]int{}
	for _, u := range Units() {
		count[u.Level]++
		if u.Level == LevelProvince {
			continue
		}
		p, ok := UnitByCode(u.Parent)
		if !ok {
			t.Errorf("%s %s: parent %q missing", u.Code, u.Name, u.Parent)
			continue
		}
		want := LevelProvince
		if u.Level == LevelCounty {
			want = LevelCity
		}
		if p.Level != want {
			t.Errorf("%s %s: parent %s is %s, want %s", u.Code, u.Name, p.Code, p.Level, want)
		}
	}
	if count[LevelProvince] != 1 || count[LevelCity] != 11 || count[LevelCounty] != 167 {
		t.Fatalf("levels = %v, want 1 province, 11 cities, 167 counties", count)
	}
}

func TestUnitByCode(t *testing.T) {
	tests := []struct {
		code, name string
		level      Level
		ok         bool
	}{
		{"130000", "河北省", LevelProvince, true},
		{"130100", "石家庄市", LevelCity, true},
		{"131100", "衡水市", LevelCity, true},
		{"130284", "滦州市", LevelCounty, true},
		{"130881", "平泉市", LevelCounty, true},
		{"130503", "信都区", LevelCounty, true},
		{"130223", "", "", false}, // renamed to 130284
		{"130521", "", "", false}, // 邢台县, abolished 2020
		{"130171", "", "", false}, // statistical zone
		{"110101", "", "", false},
	}
	for _, tt := range tests {
		u, ok := UnitByCode(tt.code)
		if ok != tt.ok || u.Name != tt.name || u.Level != tt.level {
			t.Errorf("UnitByCode(%s) = %+v, %v; want %s %s %v", tt.code, u, ok, tt.name, tt.level, tt.ok)
		}
	}
	if n := len(Children("130100")); n != 22 {
		t.Errorf("Children(130100) = %d units, want 22", n)
	}
}

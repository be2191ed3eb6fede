package main

import (
	"fmt"
	"log"
	"sort"

	"open110/geo/internal/shape"
)

// renamed lists the code changes since the polygons' vintage (about 2016/17)
// where the territory stayed the same (see geo/data/README.md).
var renamed = map[string]string{
	"130223": "130284", // 滦县 → 滦州市 (2018)
	"130823": "130881", // 平泉县 → 平泉市 (2017)
	"130428": "130407", // 肥乡县 → 肥乡区 (2016)
	"130429": "130408", // 永年县 → 永年区 (2016)
	"130526": "130505", // 任县 → 任泽区 (2020)
	"130527": "130506", // 南和县 → 南和区 (2020)
}

// mergedInto handles Xingtai's 2020 redistricting: 邢台县 (130521) was
// abolished; most of it (the whole west) went to 桥西区, renamed 信都区 and
// keeping 130503; a few eastern townships (东汪, 王快, 祝村, 晏家屯, as we
// read the approval) went to 桥东区, renamed 襄都区 and keeping 130502. The
// source has no township boundaries, so all of former 邢台县 is dissolved
// into 信都区 — a documented approximation inside one city.
var mergedInto = map[string]string{
	"130521": "130503",
}

// assemble maps source features onto the 167 units, applying the code
// changes and Cangzhou's name matching, and appends the 11 city outlines.
func assemble(units []unitRow, counties map[string][]srcFeature, cities []srcFeature) ([]shape.Feature, error) {
	byCode := map[string]unitRow{}
	byCityName := map[string]string{} // "130900/沧县" → code
	for _, u := range units {
		byCode[u.Code] = u
		if u.Level == "county" {
			byCityName[u.Parent+"/"+u.Name] = u.Code
		}
	}
	polys := map[string][]shape.Polygon{}
	var files []string
	for f := range counties {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		for _, f := range counties[file] {
			code := f.ID
			if code == "" {
				// Cangzhou (he2_bei3_cang1_zhou1): no ids; names are unique in the city.
				c, ok := byCityName["130900/"+f.Name]
				if !ok {
					return nil, fmt.Errorf("%s: feature %q has no id and no Cangzhou unit of that name", file, f.Name)
				}
				code = c
			}
			if to, ok := renamed[code]; ok {
				code = to
			}
			if to, ok := mergedInto[code]; ok {
				code = to
			}
			if _, ok := byCode[code]; !ok {
				return nil, fmt.Errorf("%s: feature %s %q maps to no unit", file, code, f.Name)
			}
			if byCode[code].Name != f.Name {
				log.Printf("note: %s source name %s, current name %s", code, f.Name, byCode[code].Name)
			}
			polys[code] = append(polys[code], f.Polygons...)
		}
	}
	var out []shape.Feature
	for _, u := range units {
		if u.Level != "county" {
			continue
		}
		p, ok := polys[u.Code]
		if !ok {
			return nil, fmt.Errorf("unit %s %s has no polygon", u.Code, u.Name)
		}
		out = append(out, shape.Feature{Code: u.Code, Kind: shape.County, Polygons: p})
	}
	for _, c := range cities {
		u, ok := byCode[c.ID]
		if !ok || u.Level != "city" || u.Name != c.Name {
			return nil, fmt.Errorf("hebei.json: city %s %q does not match the unit list", c.ID, c.Name)
		}
		out = append(out, shape.Feature{Code: c.ID, Kind: shape.City, Polygons: c.Polygons})
	}
	return out, nil
}

// Multi-part units are kept as the source gives them, one polygon per part;
// a point is in the unit if it is in any part. Parts of one unit can share
// edges (井陉县, 信都区 = former 桥西区 + 邢台县) or nest (新乐市, 南宫市);
// dissolving them would need general polygon union for no routing gain.

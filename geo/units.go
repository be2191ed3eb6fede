package geo

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// Level is a unit's rank in the administrative tree.
type Level string

// The three levels of Hebei's tree.
const (
	LevelProvince Level = "province"
	LevelCity     Level = "city"
	LevelCounty   Level = "county"
)

// ProvinceCode is Hebei's code; its centre is the last step of every overflow chain.
const ProvinceCode = "130000"

// Unit is one administrative unit: the province, a prefecture city or a
// county-level unit (district, county, county-level city, autonomous county).
// Every unit can host a 110 command centre whose code is the unit's code.
type Unit struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Level  Level  `json:"level"`
	Parent string `json:"parent,omitempty"` // "" for the province
}

//go:embed data/units.tsv
var unitsTSV string

// unitTable is the parsed, immutable unit list; parsed once on first use.
type unitTable struct {
	list   []Unit
	byCode map[string]int
}

var units = sync.OnceValue(func() *unitTable {
	t, err := parseUnits(unitsTSV)
	if err != nil {
		// The file is generated and embedded at build time; a parse error is a
		// broken build, caught by the tests, never a runtime condition.
		panic(fmt.Errorf("geo: embedded units.tsv: %w", err))
	}
	return t
})

func parseUnits(tsv string) (*unitTable, error) {
	t := &unitTable{byCode: make(map[string]int, 200)}
	for n, line := range strings.Split(tsv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: %d fields, want 4", n+1, len(f))
		}
		u := Unit{Code: f[0], Name: f[1], Level: Level(f[2]), Parent: f[3]}
		if _, dup := t.byCode[u.Code]; dup {
			return nil, fmt.Errorf("line %d: duplicate code %s", n+1, u.Code)
		}
		t.byCode[u.Code] = len(t.list)
		t.list = append(t.list, u)
	}
	return t, nil
}

// Units returns every unit — the province first, then cities and counties
// in code order (a city precedes its counties). The slice is a fresh copy the
// caller may keep or modify.
func Units() []Unit {
	l := units().list
	out := make([]Unit, len(l))
	copy(out, l)
	return out
}

// UnitByCode returns the unit with the given 6-digit code, or false if Hebei
// has no such unit (including dropped statistical zones such as 130171).
func UnitByCode(code string) (Unit, bool) {
	t := units()
	i, ok := t.byCode[code]
	if !ok {
		return Unit{}, false
	}
	return t.list[i], true
}

// Children returns the units whose parent is code, in code order.
func Children(code string) []Unit {
	var out []Unit
	for _, u := range units().list {
		if u.Parent == code {
			out = append(out, u)
		}
	}
	return out
}

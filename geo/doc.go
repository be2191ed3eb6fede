// Package geo knows Hebei's jurisdictions and routes a WGS-84 position to the
// 110 command centre that must answer it.
//
// The unit tree (province 130000 → 11 cities → 167 county-level units) and the
// county polygons are derived from npm packages by geo/internal/gen and
// embedded (geo/data); see geo/data/README.md for provenance and repairs.
// Positions arrive in WGS-84; the polygons are GCJ-02; conversion happens in
// exactly one place, package geo/coord.
package geo

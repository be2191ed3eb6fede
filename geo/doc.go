// Package geo knows Hebei's jurisdictions and routes a WGS-84 position to the
// 110 command centre that must answer it.
//
// Data. The unit tree (province 130000 → 11 cities → 167 county-level units;
// Units, UnitByCode, Children) and the county polygons are derived from npm
// packages by geo/internal/gen and embedded (geo/data; provenance, code
// changes and repairs in geo/data/README.md). Positions arrive in WGS-84; the
// polygons are GCJ-02; conversion happens in one place, package geo/coord.
//
// Routing (Load, Router.Route). The county-level unit containing the point
// answers if it runs its own centre (Router.SetOwnCenters, swapped
// atomically at run time; Load starts with all of them), else its city's
// centre. Rules, applied identically by the PostGIS benchmark (bench/geo):
//   - a point on a shared border belongs to exactly one county (half-open
//     crossing rule on integer vertices); where polygons overlap, the lowest
//     code wins;
//   - a point in no county polygon but inside Cangzhou's city outline goes
//     to the nearest Cangzhou county (its source polygons leave gaps) and the
//     route says Gap;
//   - any other point (Beijing, Tianjin, the sea, other provinces) is
//     outside_jurisdiction, with the nearest centre and the distance to its
//     area in an *OutsideError — a suggestion, never a routing decision.
//
// Overflow (Router.OverflowChain): county centre → city centre → 130000.
//
// Index. A uniform grid of 1/128° cells over the data: a cell no edge
// touches stores its answer; a boundary cell lists candidate polygons, each
// tested exactly against only the edges in the cell's row. Outside answers
// search an R-tree of the province's outer boundary. Lookups inside Hebei do
// not allocate.
//
// HTTP (Handler): /api/v1/route, /api/v1/jurisdictions and
// /api/v1/jurisdictions/{code}/boundary (GeoJSON for the console's map).
package geo

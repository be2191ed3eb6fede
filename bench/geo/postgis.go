package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"open110/geo"
)

const dbName = "open110_geobench"

// routeFn is the router's rules in SQL, on the same GCJ-02 polygons:
// the lowest-coded county part containing the point; else, inside a
// gap-repair outline (Cangzhou), that city's county nearest by distance with
// longitude scaled by cos(latitude); else outside, with the nearest county
// by the same metric (KNN on the GiST index for a bound, then exact).
// Distances equal to 1e-9° are ties, won by the lower code, as in the router.
// Geometries use SRID 0: GCJ-02 has no EPSG code, and both sides are planar
// in degrees anyway.
const routeFn = `
CREATE FUNCTION route_point(p geometry, OUT county text, OUT gap boolean, OUT nearest text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	k float8 := cos(radians(ST_Y(p)));
	repair text;
	d float8;
BEGIN
	gap := false;
	SELECT c.code INTO county FROM county_parts c WHERE ST_Intersects(c.geom, p) ORDER BY c.code LIMIT 1;
	IF county IS NOT NULL THEN RETURN; END IF;
	SELECT o.code INTO repair FROM repair_outline o WHERE ST_Intersects(o.geom, p) ORDER BY o.code LIMIT 1;
	IF repair IS NOT NULL THEN
		SELECT c.code INTO county FROM county_parts c WHERE c.city = repair
			ORDER BY round((ST_Distance(ST_Scale(c.geom, k, 1), ST_Scale(p, k, 1)) * 1e9)::numeric), c.code LIMIT 1;
		gap := true;
		RETURN;
	END IF;
	-- Exact under the scaled metric: scaled distance ≥ k × plain distance,
	-- so the scaled-nearest part lies within (plain nearest distance) / k.
	SELECT c.geom <-> p INTO d FROM county_parts c ORDER BY c.geom <-> p LIMIT 1;
	SELECT c.code INTO nearest FROM county_parts c WHERE ST_DWithin(c.geom, p, d / k)
		ORDER BY round((ST_Distance(ST_Scale(c.geom, k, 1), ST_Scale(p, k, 1)) * 1e9)::numeric), c.code LIMIT 1;
END $$`

type pgResult struct {
	version        string
	perPointPerSec float64
	perPointMedian time.Duration
	bulkPerSec     float64
	bulkPerSecCPU  float64 // by the backend process's CPU time (0 if unreadable)
	outcomes       []outcome
	borderM        func(p point) (float64, error) // distance to the nearest county border
	parts          int
	invalid        int // parts PostGIS calls invalid (self-touching rings)
	db             *pgx.Conn
}

// Close ends the connection kept open for borderM.
func (r *pgResult) Close(ctx context.Context) { _ = r.db.Close(ctx) }

func benchPostGIS(ctx context.Context, dsn string, pts []point, r *geo.Router, conns int) (*pgResult, error) {
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	for _, q := range []string{"DROP DATABASE IF EXISTS " + dbName, "CREATE DATABASE " + dbName} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Database = dbName
	db, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res := &pgResult{db: db}
	for _, q := range []string{
		"CREATE EXTENSION postgis",
		"CREATE TABLE county_parts (code text NOT NULL, city text NOT NULL, geom geometry(Polygon) NOT NULL)",
		"CREATE TABLE repair_outline (code text NOT NULL, geom geometry(Polygon) NOT NULL)",
		"CREATE TABLE pts (id int PRIMARY KEY, x float8 NOT NULL, y float8 NOT NULL)",
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := db.QueryRow(ctx, "SELECT postgis_full_version()").Scan(&res.version); err != nil {
		return nil, err
	}
	batch := &pgx.Batch{}
	for _, u := range geo.Units() {
		if u.Level != geo.LevelCounty {
			continue
		}
		for _, p := range r.GCJPolygons(u.Code) {
			batch.Queue("INSERT INTO county_parts VALUES ($1, $2, ST_GeomFromText($3))", u.Code, u.Parent, wkt(p))
			res.parts++
		}
	}
	for _, c := range geo.GapRepairCities() {
		for _, p := range r.GCJPolygons(c) {
			batch.Queue("INSERT INTO repair_outline VALUES ($1, ST_GeomFromText($2))", c, wkt(p))
		}
	}
	if err := db.SendBatch(ctx, batch).Close(); err != nil {
		return nil, fmt.Errorf("load polygons: %w", err)
	}
	rows := make([][]any, len(pts))
	for i, p := range pts {
		rows[i] = []any{i, p.gLng, p.gLat}
	}
	if _, err := db.CopyFrom(ctx, pgx.Identifier{"pts"}, []string{"id", "x", "y"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, fmt.Errorf("copy points: %w", err)
	}
	for _, q := range []string{
		"CREATE INDEX ON county_parts USING gist (geom)",
		"CREATE INDEX ON repair_outline USING gist (geom)",
		routeFn,
		"ANALYZE",
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%.40s: %w", q, err)
		}
	}
	// Many source rings touch or cross themselves at a vertex (OGC-invalid);
	// both sides test points on them as given, without ST_MakeValid, which
	// would move vertices. Counted for the report.
	if err := db.QueryRow(ctx, "SELECT count(*) FROM county_parts WHERE NOT ST_IsValid(geom)").Scan(&res.invalid); err != nil {
		return nil, err
	}

	// Set-based: one statement routes every point (PostGIS's best case: no
	// round trips). Best of 2.
	res.outcomes = make([]outcome, len(pts))
	var backend int
	if err := db.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return nil, err
	}
	for range 2 {
		c0, cpuErr := procCPU(backend)
		t0 := time.Now()
		rs, err := db.Query(ctx, "SELECT id, r.county, r.gap, r.nearest FROM pts, LATERAL route_point(ST_MakePoint(x, y)) r")
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id int
			var county, nearest *string
			var gap bool
			if err := rs.Scan(&id, &county, &gap, &nearest); err != nil {
				return nil, err
			}
			res.outcomes[id] = outcome{county: deref(county), gap: gap, nearest: deref(nearest)}
		}
		if err := rs.Err(); err != nil {
			return nil, err
		}
		res.bulkPerSec = max(res.bulkPerSec, float64(len(pts))/time.Since(t0).Seconds())
		// The server runs on this machine: its backend's CPU time gives a
		// throughput that other jobs on the machine do not distort.
		if c1, err := procCPU(backend); err == nil && cpuErr == nil && c1 > c0 {
			res.bulkPerSecCPU = max(res.bulkPerSecCPU, float64(len(pts))/(c1-c0).Seconds())
		}
	}

	// Per point: what a service would do, one prepared query per lookup,
	// over conns connections in parallel.
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	lat := make([]time.Duration, len(pts))
	t0 := time.Now()
	for c := range conns {
		wg.Go(func() {
			cc, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				errs <- err
				return
			}
			defer cc.Close(ctx)
			for i := c; i < len(pts); i += conns {
				var county, nearest *string
				var gap bool
				t1 := time.Now()
				if err := cc.QueryRow(ctx, "SELECT county, gap, nearest FROM route_point(ST_MakePoint($1, $2))", pts[i].gLng, pts[i].gLat).Scan(&county, &gap, &nearest); err != nil {
					errs <- err
					return
				}
				lat[i] = time.Since(t1)
				if o := (outcome{county: deref(county), gap: gap, nearest: deref(nearest)}); o != res.outcomes[i] {
					errs <- fmt.Errorf("point %d: per-point %+v, set-based %+v", i, o, res.outcomes[i])
					return
				}
			}
		})
	}
	wg.Wait()
	res.perPointPerSec = float64(len(pts)) / time.Since(t0).Seconds()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	res.perPointMedian = medianOf(lat)

	res.borderM = func(p point) (float64, error) {
		var d float64
		err := db.QueryRow(ctx, `SELECT coalesce(min(ST_Distance(ST_SetSRID(ST_Boundary(geom), 4326)::geography,
			ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography)), -1)
			FROM county_parts WHERE geom && ST_Expand(ST_MakePoint($1, $2), 0.1)`, p.gLng, p.gLat).Scan(&d)
		return d, err
	}
	return res, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// wkt writes a polygon exactly: its vertices are multiples of 1/1024°,
// which 'g' formatting prints without rounding.
func wkt(p [][][2]float64) string {
	var b strings.Builder
	b.WriteString("POLYGON(")
	for i, ring := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j, v := range ring {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(v[0], 'g', -1, 64))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(v[1], 'g', -1, 64))
		}
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String()
}

// procCPU reads a local process's CPU time (user + system) from /proc.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line, in clock ticks (100 Hz on Linux).
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc stat")
	}
	return time.Duration(u+s) * 10 * time.Millisecond, nil
}

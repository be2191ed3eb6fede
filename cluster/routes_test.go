package cluster

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"open110/app"
)

// routeRE finds route patterns registered on a ServeMux in Go source.
var routeRE = regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^"\s]*)"`)

// TestRoutesInOpenAPI: every API route pattern registered in the code
// (string literals "METHOD /api/v1/…" in non-test .go files outside bench/)
// is described in /api/v1/openapi.json, and every operation the document
// lists is registered. Path parameter names are compared positionally
// ({id} and {alarm_id} are the same slot).
func TestRoutesInOpenAPI(t *testing.T) {
	root := moduleRoot()
	code := map[string]string{} // normalised op → file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			case "bench", ".git", "e2e", "web/static":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range routeRE.FindAllStringSubmatch(string(b), -1) {
			code[m[1]+" "+normalise(m[2])] = rel
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	node, err := app.Start(ctx, app.Config{Data: t.TempDir(), Addr: "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNode(t, node)
	doc := map[string]bool{}
	for _, op := range openAPIOps(t, node.URL) {
		m, p, _ := strings.Cut(op, " ")
		if strings.HasPrefix(p, "/api/v1/") {
			doc[m+" "+normalise(p)] = true
		}
	}
	var undocumented, unregistered []string
	for op, file := range code {
		if !doc[op] {
			undocumented = append(undocumented, op+" ("+file+")")
		}
	}
	for op := range doc {
		if _, ok := code[op]; !ok {
			unregistered = append(unregistered, op)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unregistered)
	for _, op := range undocumented {
		t.Errorf("registered but not in openapi.json: %s", op)
	}
	for _, op := range unregistered {
		t.Errorf("in openapi.json but registered nowhere: %s", op)
	}
	t.Logf("%d routes in code, %d operations in the document", len(code), len(doc))
}

var slotRE = regexp.MustCompile(`\{[^}]*\}`)

func normalise(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return slotRE.ReplaceAllString(p, "{}")
}

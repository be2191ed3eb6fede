package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"open110/guardian"
	"open110/media"
	"open110/missing"
	"open110/platform/blob"
	"open110/platform/db"
	"open110/reward"
	"open110/tip"
)

// blobColumns lists every column, in every feature, that holds a blob
// hash. TestBlobColumnsComplete fails when a migration adds one that is
// not here.
func blobColumns() []string {
	var out []string
	for _, cols := range [][]string{guardian.BlobColumns, media.BlobColumns, missing.BlobColumns, reward.BlobColumns, tip.BlobColumns} {
		out = append(out, cols...)
	}
	return out
}

// guardBlobs wraps the node's blob store so an object is deleted only when
// no feature's table still names it (see blob.Guarded).
func guardBlobs(s blob.Store, d *db.DB) blob.Store {
	g := blob.Guard(s)
	for _, col := range blobColumns() {
		table, column, _ := strings.Cut(col, ".")
		q := "SELECT 1 FROM " + table + " WHERE " + column + " = $1 LIMIT 1" // names from code, not input
		g.Refer(func(ctx context.Context, sha string) (bool, error) {
			var one int
			err := d.QueryRow(ctx, q, sha).Scan(&one)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return false, nil
			case err != nil:
				return false, fmt.Errorf("%s: %w", col, err)
			}
			return true, nil
		})
	}
	return g
}

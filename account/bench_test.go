package account_test

import (
	"context"
	"fmt"
	"testing"

	"open110/platform/db"
	"open110/platform/db/dbtest"
)

// BenchmarkVerifyOTP is one citizen sign-in: check the code, burn it,
// upsert the citizen, create the session, append the audit entry, commit.
func BenchmarkVerifyOTP(b *testing.B) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.Open(b, dialect, sets()...)
			t := &testing.T{}
			e := setup(t, d, setupCfg())
			ctx := context.Background()
			phones := make([]string, b.N)
			codes := make([]string, b.N)
			for i := range phones {
				phones[i] = fmt.Sprintf("+86135%08d", i)
				if err := e.svc.RequestOTP(ctx, phones[i], fmt.Sprintf("ip%d", i)); err != nil {
					b.Fatal(err)
				}
			}
			msgs := e.outboxAll(b)
			for i, m := range msgs {
				codes[i] = codeRE.FindString(m.Text)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.svc.VerifyOTP(ctx, phones[i], codes[i], "10.0.0.1", "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

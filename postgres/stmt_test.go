package postgres

import (
	"fmt"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

// BenchmarkStatement is a Get in a View with the statement cache the store
// uses by default (each query prepared once per connection) and with
// default_query_exec_mode=exec (parsed and planned on every call).
func BenchmarkStatement(b *testing.B) {
	for _, mode := range []string{"cache_statement", "exec"} {
		b.Run(mode, func(b *testing.B) {
			ctx := b.Context()
			dsn := storetest.PostgresSchema(b)
			d := dsn + "&default_query_exec_mode=" + mode
			if mode == "cache_statement" {
				d = dsn // the store's default
			}
			s := openTest(b, d)
			err := s.Update(ctx, func(tx warden.Tx) error {
				for i := range 100 {
					r := warden.Record{Kind: warden.KindUser, Account: "111111111111", Key: fmt.Sprintf("%s-%04d", mode, i), Data: []byte(`{}`)}
					if err := tx.Insert(ctx, r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				err := s.View(ctx, func(tx warden.Tx) error {
					_, err := tx.Get(ctx, warden.KindUser, "111111111111", fmt.Sprintf("%s-%04d", mode, i*7%100))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

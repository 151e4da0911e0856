package sqlite

import (
	"fmt"
	"testing"

	"github.com/warden-iam/warden"
)

// BenchmarkStatement compares a Get in a read transaction through the
// prepared statement (what the store does) with the same query parsed and
// planned on every call (what it did before).
func BenchmarkStatement(b *testing.B) {
	ctx := b.Context()
	s, err := Open(ctx, Memory)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	err = s.Update(ctx, func(tx warden.Tx) error {
		for i := range 1000 {
			if err := tx.Insert(ctx, warden.Record{Kind: warden.KindUser, Account: "111111111111",
				Key: fmt.Sprintf("user-%04d", i), Data: []byte(`{"name":"x"}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, prepared := range []bool{true, false} {
		b.Run(map[bool]string{true: "prepared", false: "unprepared"}[prepared], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				sqlTx, err := s.reader.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				var data []byte
				key := fmt.Sprintf("user-%04d", i*7%1000)
				if prepared {
					err = sqlTx.StmtContext(ctx, s.rs.get).QueryRowContext(ctx, "user", "111111111111", key).Scan(&data)
				} else {
					err = sqlTx.QueryRowContext(ctx, getSQL, "user", "111111111111", key).Scan(&data)
				}
				sqlTx.Rollback()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

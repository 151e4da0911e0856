package storetest

import (
	"fmt"
	"testing"

	"github.com/warden-iam/warden"
)

// RunBenchmarks measures the store operations on Warden's paths: Get reads
// one record in a View (alone and in parallel), UpdateInsert writes one new
// record in an Update. newStore must return a new, empty store and close it
// in tb.Cleanup.
func RunBenchmarks(b *testing.B, newStore func(tb testing.TB) warden.Store) {
	b.Run("Get", func(b *testing.B) { benchmarkGet(b, newStore(b), false) })
	b.Run("GetParallel", func(b *testing.B) { benchmarkGet(b, newStore(b), true) })
	b.Run("UpdateInsert", func(b *testing.B) { benchmarkUpdateInsert(b, newStore(b)) })
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("ListPage/records=%d", n), func(b *testing.B) { benchmarkListPage(b, newStore(b), n) })
	}
}

// benchmarkListPage reads a page of 100 records (and one more, to tell
// whether another page follows) after a key in the middle of n, as a
// ListUsers page does: its cost must not grow with n.
func benchmarkListPage(b *testing.B, s warden.Store, n int) {
	ctx := b.Context()
	err := s.Update(ctx, func(tx warden.Tx) error {
		for i := range n {
			r := warden.Record{Kind: warden.KindUser, Account: acctA, Key: fmt.Sprintf("user-%05d", i), Data: benchData}
			if err := tx.Insert(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("Update: %v", err)
	}
	after := fmt.Sprintf("user-%05d", n/2)
	b.ReportAllocs()
	for b.Loop() {
		err := s.View(ctx, func(tx warden.Tx) error {
			rs, err := tx.List(ctx, warden.KindUser, acctA, "", after, 101)
			if err == nil && len(rs) != 101 {
				err = fmt.Errorf("page of %d records", len(rs))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

const benchRecords = 1000

// benchData is about the size of a user record with a few tags and policies.
var benchData = []byte(`{"account":"111111111111","id":"AIDAEXAMPLEEXAMPLE01","name":"alice","path":"/",` +
	`"created":"2025-03-04T05:06:07Z","tags":[{"k":"team","v":"platform"},{"k":"env","v":"prod"}],` +
	`"groups":["admins","developers"],"attached":["arn:aws:iam::aws:policy/ReadOnlyAccess"],` +
	`"keys":["AKIAEXAMPLEEXAMPLE01"]}`)

func benchmarkGet(b *testing.B, s warden.Store, parallel bool) {
	ctx := b.Context()
	err := s.Update(ctx, func(tx warden.Tx) error {
		for i := range benchRecords {
			r := warden.Record{Kind: warden.KindUser, Account: acctA, Key: fmt.Sprintf("user-%04d", i), Data: benchData}
			if err := tx.Insert(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("Update: %v", err)
	}
	keys := make([]string, benchRecords)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%04d", i)
	}
	get := func(i int) error {
		return s.View(ctx, func(tx warden.Tx) error {
			_, err := tx.Get(ctx, warden.KindUser, acctA, keys[i%benchRecords])
			return err
		})
	}
	b.ReportAllocs()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if err := get(i * 7); err != nil {
					b.Error(err)
					return
				}
			}
		})
		return
	}
	for i := 0; b.Loop(); i++ {
		if err := get(i * 7); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkUpdateInsert(b *testing.B, s warden.Store) {
	ctx := b.Context()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := warden.Record{Kind: warden.KindUser, Account: acctA, Key: fmt.Sprintf("user-%08d", i), Data: benchData}
		if err := s.Update(ctx, func(tx warden.Tx) error { return tx.Insert(ctx, r) }); err != nil {
			b.Fatal(err)
		}
	}
}

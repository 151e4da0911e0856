// Package storetest is the conformance suite of warden.Store: every backend
// runs RunTests (semantics, sentinels, isolation, transactions, audit,
// generation, concurrency), RunSharedTests (several stores on one database,
// as several processes or nodes) and RunBenchmarks.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
)

// Accounts used by the suite. Global records use the empty account.
const (
	acctA  = "111111111111"
	acctB  = "222222222222"
	global = ""
)

// RunTests runs the conformance suite. newStore must return a new, empty
// store for each call and close it in t.Cleanup.
func RunTests(t *testing.T, newStore func(t *testing.T) warden.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, warden.Store)
	}{
		{"GetNotFound", testGetNotFound},
		{"InsertGet", testInsertGet},
		{"InsertAlreadyExists", testInsertAlreadyExists},
		{"Replace", testReplace},
		{"ReplaceNotFound", testReplaceNotFound},
		{"Delete", testDelete},
		{"DeleteNotFound", testDeleteNotFound},
		{"TxUsableAfterSentinel", testTxUsableAfterSentinel},
		{"ReadYourWrites", testReadYourWrites},
		{"Data", testData},
		{"KindIsolation", testKindIsolation},
		{"AccountIsolation", testAccountIsolation},
		{"List", testList},
		{"ListPages", testListPages},
		{"Count", testCount},
		{"CountSetSumLen", testCountSetSumLen},
		{"PruneAudit", testPruneAudit},
		{"UpdateRollback", testUpdateRollback},
		{"UpdatePanic", testUpdatePanic},
		{"CanceledContext", testCanceledContext},
		{"ViewRejectsWrites", testViewRejectsWrites},
		{"Audit", testAudit},
		{"AuditFields", testAuditFields},
		{"Generation", testGeneration},
		{"ChangeFeed", testChangeFeed},
		{"Helpers", testHelpers},
		{"Events", testEvents},
		{"EventsLargeBatch", testEventsLargeBatch},
		{"EventsAgainstModel", testEventsAgainstModel},
		{"ConcurrentIncrement", func(t *testing.T, s warden.Store) { testConcurrentIncrement(t, []warden.Store{s}) }},
		{"ConcurrentInsertSameKey", func(t *testing.T, s warden.Store) { testConcurrentInsertSameKey(t, []warden.Store{s}) }},
		{"ViewDuringUpdates", func(t *testing.T, s warden.Store) { testViewDuringUpdates(t, []warden.Store{s}) }},
		{"GetMany", testGetMany},
		{"IndexMaintenance", testIndexMaintenance},
		{"IndexesDecideNothing", testIndexesDecideNothing},
		{"LookupIndexes", testLookupIndexes},
		{"ConcurrentMembership", func(t *testing.T, s warden.Store) { testConcurrentMembership(t, []warden.Store{s}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// RunSharedTests runs the tests of stores that share one database, as
// separate processes or nodes do. newStores must open n stores on one new,
// empty database — concurrently, if the backend is to show that two stores
// starting at once migrate it safely — and close them in t.Cleanup.
func RunSharedTests(t *testing.T, newStores func(t *testing.T, n int) []warden.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, []warden.Store)
	}{
		{"SeeEachOther", testSeeEachOther},
		{"EventsShared", testEventsShared},
		{"ConcurrentIncrement", testConcurrentIncrement},
		{"ConcurrentInsertSameKey", testConcurrentInsertSameKey},
		{"ViewDuringUpdates", testViewDuringUpdates},
		{"ConcurrentMembership", testConcurrentMembership},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStores(t, 3))
		})
	}
}

// rec returns a record whose data tells where it was written.
func rec(kind warden.Kind, account, key string) warden.Record {
	return warden.Record{Kind: kind, Account: account, Key: key,
		Data: fmt.Appendf(nil, `{"kind":%q,"account":%q,"key":%q}`, kind, account, key)}
}

// update runs fn in s.Update and fails the test on error.
func update(t *testing.T, s warden.Store, fn func(warden.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test on error.
func view(t *testing.T, s warden.Store, fn func(warden.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// insert stores rs in one Update.
func insert(t *testing.T, s warden.Store, rs ...warden.Record) {
	t.Helper()
	update(t, s, func(tx warden.Tx) error {
		for _, r := range rs {
			if err := tx.Insert(t.Context(), r); err != nil {
				return err
			}
		}
		return nil
	})
}

// get reads a record in a View; err is the Get error.
func get(t *testing.T, s warden.Store, kind warden.Kind, account, key string) (r warden.Record, err error) {
	t.Helper()
	view(t, s, func(tx warden.Tx) error {
		r, err = tx.Get(t.Context(), kind, account, key)
		return nil
	})
	return r, err
}

// mustGet reads a record that must exist.
func mustGet(t *testing.T, s warden.Store, kind warden.Kind, account, key string) warden.Record {
	t.Helper()
	r, err := get(t, s, kind, account, key)
	if err != nil {
		t.Fatalf("Get(%s, %q, %q): %v", kind, account, key, err)
	}
	return r
}

// wantNotFound checks that a record does not exist.
func wantNotFound(t *testing.T, s warden.Store, kind warden.Kind, account, key string) {
	t.Helper()
	if r, err := get(t, s, kind, account, key); !errors.Is(err, warden.ErrNotFound) {
		t.Fatalf("Get(%s, %q, %q) = %q, %v; want ErrNotFound", kind, account, key, r.Data, err)
	}
}

// wantRecord checks that got is want.
func wantRecord(t *testing.T, got, want warden.Record) {
	t.Helper()
	if got.Kind != want.Kind || got.Account != want.Account || got.Key != want.Key || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("record = {%s %q %q %q}, want {%s %q %q %q}",
			got.Kind, got.Account, got.Key, got.Data, want.Kind, want.Account, want.Key, want.Data)
	}
}

// generation reads s.Generation.
func generation(t *testing.T, s warden.Store) int64 {
	t.Helper()
	g, err := s.Generation(t.Context())
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	return g
}

func keys(rs []warden.Record) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Key)
	}
	return out
}

func testGetNotFound(t *testing.T, s warden.Store) {
	wantNotFound(t, s, warden.KindUser, acctA, "alice")
	// Also inside Update, and the Update still commits.
	update(t, s, func(tx warden.Tx) error {
		if _, err := tx.Get(t.Context(), warden.KindUser, acctA, "alice"); !errors.Is(err, warden.ErrNotFound) {
			t.Errorf("Get in Update: %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testInsertGet(t *testing.T, s warden.Store) {
	r := rec(warden.KindUser, acctA, "alice")
	insert(t, s, r)
	wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
}

func testInsertAlreadyExists(t *testing.T, s warden.Store) {
	r := rec(warden.KindUser, acctA, "alice")
	insert(t, s, r)
	dup := r
	dup.Data = []byte(`{"second":true}`)
	err := s.Update(t.Context(), func(tx warden.Tx) error { return tx.Insert(t.Context(), dup) })
	if !errors.Is(err, warden.ErrAlreadyExists) {
		t.Fatalf("second Insert: %v, want ErrAlreadyExists", err)
	}
	wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
}

func testReplace(t *testing.T, s warden.Store) {
	r := rec(warden.KindGroup, acctA, "admins")
	insert(t, s, r)
	r2 := r
	r2.Data = []byte(`{"replaced":true}`)
	update(t, s, func(tx warden.Tx) error { return tx.Replace(t.Context(), r2) })
	wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r2)
	// Replacing with the same data is still a success.
	update(t, s, func(tx warden.Tx) error { return tx.Replace(t.Context(), r2) })
	wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r2)
}

func testReplaceNotFound(t *testing.T, s warden.Store) {
	r := rec(warden.KindGroup, acctA, "admins")
	err := s.Update(t.Context(), func(tx warden.Tx) error { return tx.Replace(t.Context(), r) })
	if !errors.Is(err, warden.ErrNotFound) {
		t.Fatalf("Replace of a missing record: %v, want ErrNotFound", err)
	}
	wantNotFound(t, s, r.Kind, r.Account, r.Key)
}

func testDelete(t *testing.T, s warden.Store) {
	r := rec(warden.KindRole, acctA, "deployer")
	other := rec(warden.KindRole, acctA, "deployer2")
	insert(t, s, r, other)
	update(t, s, func(tx warden.Tx) error { return tx.Delete(t.Context(), r.Kind, r.Account, r.Key) })
	wantNotFound(t, s, r.Kind, r.Account, r.Key)
	wantRecord(t, mustGet(t, s, other.Kind, other.Account, other.Key), other)
	// The key is free again.
	insert(t, s, r)
	wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
}

func testDeleteNotFound(t *testing.T, s warden.Store) {
	err := s.Update(t.Context(), func(tx warden.Tx) error { return tx.Delete(t.Context(), warden.KindRole, acctA, "nobody") })
	if !errors.Is(err, warden.ErrNotFound) {
		t.Fatalf("Delete of a missing record: %v, want ErrNotFound", err)
	}
}

// testTxUsableAfterSentinel checks that a sentinel error does not spoil the
// transaction: operations handle ErrAlreadyExists or ErrNotFound and go on.
func testTxUsableAfterSentinel(t *testing.T, s warden.Store) {
	existing := rec(warden.KindUser, acctA, "alice")
	insert(t, s, existing)
	fresh := rec(warden.KindUser, acctA, "bob")
	update(t, s, func(tx warden.Tx) error {
		ctx := t.Context()
		if err := tx.Insert(ctx, existing); !errors.Is(err, warden.ErrAlreadyExists) {
			return fmt.Errorf("Insert of existing: %v, want ErrAlreadyExists", err)
		}
		if _, err := tx.Get(ctx, warden.KindUser, acctA, "nobody"); !errors.Is(err, warden.ErrNotFound) {
			return fmt.Errorf("Get of missing: %v, want ErrNotFound", err)
		}
		if err := tx.Replace(ctx, rec(warden.KindUser, acctA, "nobody")); !errors.Is(err, warden.ErrNotFound) {
			return fmt.Errorf("Replace of missing: %v, want ErrNotFound", err)
		}
		if err := tx.Delete(ctx, warden.KindUser, acctA, "nobody"); !errors.Is(err, warden.ErrNotFound) {
			return fmt.Errorf("Delete of missing: %v, want ErrNotFound", err)
		}
		return tx.Insert(ctx, fresh)
	})
	wantRecord(t, mustGet(t, s, fresh.Kind, fresh.Account, fresh.Key), fresh)
	wantRecord(t, mustGet(t, s, existing.Kind, existing.Account, existing.Key), existing)
}

func testReadYourWrites(t *testing.T, s warden.Store) {
	a, b := rec(warden.KindUser, acctA, "a"), rec(warden.KindUser, acctA, "b")
	insert(t, s, a)
	update(t, s, func(tx warden.Tx) error {
		ctx := t.Context()
		if err := tx.Insert(ctx, b); err != nil {
			return err
		}
		got, err := tx.Get(ctx, b.Kind, b.Account, b.Key)
		if err != nil {
			return fmt.Errorf("Get after Insert: %w", err)
		}
		if !bytes.Equal(got.Data, b.Data) {
			return fmt.Errorf("Get after Insert = %q, want %q", got.Data, b.Data)
		}
		if err := tx.Delete(ctx, a.Kind, a.Account, a.Key); err != nil {
			return err
		}
		rs, err := tx.List(ctx, warden.KindUser, acctA, "", "", 0)
		if err != nil {
			return err
		}
		if got := keys(rs); !slices.Equal(got, []string{"b"}) {
			return fmt.Errorf("List after Insert and Delete = %q, want [b]", got)
		}
		if n, err := tx.Count(ctx, warden.KindUser, acctA); err != nil || n != 1 {
			return fmt.Errorf("Count after Insert and Delete = %d, %v; want 1", n, err)
		}
		return nil
	})
}

func testData(t *testing.T, s warden.Store) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
	tests := []struct {
		name string
		data []byte
	}{
		{"json", []byte(`{"name":"alice","tags":[{"k":"team","v":"ünïcødé ✓"}]}`)},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe, 0, '\'', '"', '\\'}},
		{"empty", []byte{}},
		{"nil", nil},
		{"large", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := warden.Record{Kind: warden.KindPolicy, Account: acctA, Key: tt.name, Data: tt.data}
			insert(t, s, r)
			wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
			r.Data = append([]byte("replaced:"), tt.data...)
			update(t, s, func(tx warden.Tx) error { return tx.Replace(t.Context(), r) })
			wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
		})
	}
}

func testKindIsolation(t *testing.T, s warden.Store) {
	u, g := rec(warden.KindUser, acctA, "ops"), rec(warden.KindGroup, acctA, "ops")
	insert(t, s, u, g)
	wantRecord(t, mustGet(t, s, u.Kind, u.Account, u.Key), u)
	wantRecord(t, mustGet(t, s, g.Kind, g.Account, g.Key), g)
	update(t, s, func(tx warden.Tx) error { return tx.Delete(t.Context(), u.Kind, u.Account, u.Key) })
	wantNotFound(t, s, u.Kind, u.Account, u.Key)
	wantRecord(t, mustGet(t, s, g.Kind, g.Account, g.Key), g)
}

func testAccountIsolation(t *testing.T, s warden.Store) {
	a := rec(warden.KindUser, acctA, "alice")
	b := rec(warden.KindUser, acctB, "alice")
	g := rec(warden.KindUser, global, "alice")
	insert(t, s, a, b, g)
	for _, r := range []warden.Record{a, b, g} {
		wantRecord(t, mustGet(t, s, r.Kind, r.Account, r.Key), r)
	}
	view(t, s, func(tx warden.Tx) error {
		for _, r := range []warden.Record{a, b, g} {
			rs, err := tx.List(t.Context(), r.Kind, r.Account, "", "", 0)
			if err != nil {
				return err
			}
			if len(rs) != 1 {
				t.Errorf("List of account %q: %d records, want 1", r.Account, len(rs))
				continue
			}
			wantRecord(t, rs[0], r)
			if n, err := tx.Count(t.Context(), r.Kind, r.Account); err != nil || n != 1 {
				t.Errorf("Count of account %q = %d, %v; want 1", r.Account, n, err)
			}
		}
		return nil
	})

	b2 := b
	b2.Data = []byte(`{"replaced":true}`)
	update(t, s, func(tx warden.Tx) error { return tx.Replace(t.Context(), b2) })
	update(t, s, func(tx warden.Tx) error { return tx.Delete(t.Context(), a.Kind, a.Account, a.Key) })
	wantNotFound(t, s, a.Kind, a.Account, a.Key)
	wantRecord(t, mustGet(t, s, b.Kind, b.Account, b.Key), b2)
	wantRecord(t, mustGet(t, s, g.Kind, g.Account, g.Key), g)
	wantNotFound(t, s, warden.KindUser, "333333333333", "alice")
}

// listKeys are stored in acctA; decoys with the same keys live in another
// account and another kind. They exercise byte order (upper case before lower,
// multi-byte UTF-8 last), LIKE metacharacters and prefixes whose last
// character is the largest of its UTF-8 length.
var listKeys = []string{
	"a", "a%", "a%b", "a_b", "ab", "abc", "b", "ba", "bb", "bc", "B", "Bob",
	"c", "ca", "z", "zz", "é", "éa", "aÿ", "aÿz", "aĀ", "a\u007f", "a\u007fz", "a\u0080",
}

func testList(t *testing.T, s warden.Store) {
	var rs []warden.Record
	for _, k := range listKeys {
		rs = append(rs, rec(warden.KindUser, acctA, k), rec(warden.KindUser, acctB, k), rec(warden.KindGroup, acctA, k))
	}
	insert(t, s, rs...)

	sorted := slices.Clone(listKeys)
	slices.Sort(sorted) // byte order, as the Tx documents
	want := func(prefix, after string, limit int) []string {
		out := []string{}
		for _, k := range sorted {
			if k > after && strings.HasPrefix(k, prefix) && (limit <= 0 || len(out) < limit) {
				out = append(out, k)
			}
		}
		return out
	}

	tests := []struct {
		name          string
		prefix, after string
		limit         int
	}{
		{"all", "", "", 0},
		{"negative limit", "", "", -1},
		{"limit", "", "", 3},
		{"limit beyond", "", "", 1000},
		{"prefix", "b", "", 0},
		{"prefix upper case", "B", "", 0},
		{"prefix is a key", "ab", "", 0},
		{"prefix underscore", "a_", "", 0},
		{"prefix percent", "a%", "", 0},
		{"prefix multibyte", "é", "", 0},
		{"prefix ends in ÿ", "aÿ", "", 0},
		{"prefix ends in DEL", "a\u007f", "", 0},
		{"prefix no match", "x", "", 0},
		{"after", "", "b", 0},
		{"after not a key", "", "bab", 0},
		{"after last", "", "é", 0},
		{"after beyond all", "", "\U0010FFFF", 0},
		{"prefix and after inside", "b", "ba", 0},
		{"prefix and after before", "b", "a", 0},
		{"prefix and after beyond", "a", "b", 0},
		{"prefix after limit", "a", "a%", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view(t, s, func(tx warden.Tx) error {
				got, err := tx.List(t.Context(), warden.KindUser, acctA, tt.prefix, tt.after, tt.limit)
				if err != nil {
					return err
				}
				w := want(tt.prefix, tt.after, tt.limit)
				if k := keys(got); !slices.Equal(k, w) {
					t.Errorf("List(prefix %q, after %q, limit %d) = %q, want %q", tt.prefix, tt.after, tt.limit, k, w)
				}
				for _, r := range got {
					wantRecord(t, r, rec(warden.KindUser, acctA, r.Key))
				}
				return nil
			})
		})
	}
}

// testListPages pages through a list with after and limit, as the IAM
// Marker/MaxItems pagination does.
func testListPages(t *testing.T, s warden.Store) {
	var rs []warden.Record
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("user-%03d", i)
		want = append(want, k)
		rs = append(rs, rec(warden.KindUser, acctA, k))
	}
	rs = append(rs, rec(warden.KindUser, acctA, "other"))
	insert(t, s, rs...)

	for _, size := range []int{1, 4, 25, 100} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var got []string
			after := ""
			for page := 0; ; page++ {
				if page > len(want) {
					t.Fatalf("more than %d pages", page)
				}
				var rs []warden.Record
				view(t, s, func(tx warden.Tx) (err error) {
					rs, err = tx.List(t.Context(), warden.KindUser, acctA, "user-", after, size)
					return err
				})
				if len(rs) > size {
					t.Fatalf("page of %d records, limit %d", len(rs), size)
				}
				got = append(got, keys(rs)...)
				if len(rs) < size {
					break
				}
				after = rs[len(rs)-1].Key
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages = %q, want %q", got, want)
			}
		})
	}
}

func testCount(t *testing.T, s warden.Store) {
	count := func(kind warden.Kind, account string) int {
		t.Helper()
		var n int
		view(t, s, func(tx warden.Tx) (err error) {
			n, err = tx.Count(t.Context(), kind, account)
			return err
		})
		return n
	}
	if n := count(warden.KindUser, acctA); n != 0 {
		t.Fatalf("Count of empty store = %d", n)
	}
	for i := range 5 {
		insert(t, s, rec(warden.KindUser, acctA, fmt.Sprint(i)))
	}
	insert(t, s, rec(warden.KindUser, acctB, "0"), rec(warden.KindGroup, acctA, "0"), rec(warden.KindUser, global, "0"))
	update(t, s, func(tx warden.Tx) error { return tx.Delete(t.Context(), warden.KindUser, acctA, "3") })

	tests := []struct {
		kind    warden.Kind
		account string
		want    int
	}{
		{warden.KindUser, acctA, 4},
		{warden.KindUser, acctB, 1},
		{warden.KindGroup, acctA, 1},
		{warden.KindUser, global, 1},
		{warden.KindRole, acctA, 0},
	}
	for _, tt := range tests {
		if n := count(tt.kind, tt.account); n != tt.want {
			t.Errorf("Count(%s, %q) = %d, want %d", tt.kind, tt.account, n, tt.want)
		}
	}
}

var errBoom = errors.New("boom")

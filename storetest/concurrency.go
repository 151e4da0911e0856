package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/warden-iam/warden"
)

// increment adds one to a counter with a read-modify-write in one Update.
func increment(ctx context.Context, s warden.Store, account, name string) error {
	return s.Update(ctx, func(tx warden.Tx) error {
		c, err := warden.Load[warden.Counter](ctx, tx, account, name)
		if err != nil {
			return err
		}
		c.N++
		return warden.Save(ctx, tx, c)
	})
}

// loadCounter reads a counter in a View.
func loadCounter(t *testing.T, s warden.Store, account, name string) *warden.Counter {
	t.Helper()
	var c *warden.Counter
	view(t, s, func(tx warden.Tx) (err error) {
		c, err = warden.Load[warden.Counter](t.Context(), tx, account, name)
		return err
	})
	return c
}

// testConcurrentIncrement has many goroutines, spread over the stores,
// increment one counter: a lost update shows as a total short of workers ×
// increments.
func testConcurrentIncrement(t *testing.T, stores []warden.Store) {
	const workers, increments = 16, 25
	s0 := stores[0]
	update(t, s0, func(tx warden.Tx) error {
		return warden.Insert(t.Context(), tx, &warden.Counter{Account: acctA, Name: "hits"})
	})
	g := generation(t, s0)

	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			<-start
			for range increments {
				if err := increment(t.Context(), s, acctA, "hits"); err != nil {
					t.Errorf("worker %d: increment: %v", w, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	if c := loadCounter(t, s0, acctA, "hits"); c.N != workers*increments {
		t.Errorf("counter = %d after %d × %d increments: lost updates", c.N, workers, increments)
	}
	if g2 := generation(t, s0); g2-g < workers*increments {
		t.Errorf("Generation grew by %d over %d committed Updates", g2-g, workers*increments)
	}
}

// testConcurrentInsertSameKey has many goroutines insert the same key at
// once: exactly one may succeed, every other must see ErrAlreadyExists, and
// the stored record is the winner's.
func testConcurrentInsertSameKey(t *testing.T, stores []warden.Store) {
	const rounds, workers = 5, 16
	for round := range rounds {
		key := fmt.Sprintf("race-%d", round)
		var (
			wg      sync.WaitGroup
			wins    atomic.Int32
			winner  atomic.Int32
			start   = make(chan struct{})
			dataFor = func(w int) []byte { return fmt.Appendf(nil, `{"worker":%d}`, w) }
		)
		for w := range workers {
			s := stores[w%len(stores)]
			wg.Go(func() {
				<-start
				r := warden.Record{Kind: warden.KindUser, Account: acctA, Key: key, Data: dataFor(w)}
				err := s.Update(t.Context(), func(tx warden.Tx) error {
					if err := tx.Insert(t.Context(), r); err != nil {
						return err
					}
					return tx.AppendAudit(t.Context(), event(acctA, "insert "+key))
				})
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store(int32(w))
				case !errors.Is(err, warden.ErrAlreadyExists):
					t.Errorf("round %d, worker %d: Insert: %v, want nil or ErrAlreadyExists", round, w, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d inserts of one key succeeded, want exactly 1", round, n)
		}
		r := mustGet(t, stores[0], warden.KindUser, acctA, key)
		if want := dataFor(int(winner.Load())); string(r.Data) != string(want) {
			t.Errorf("round %d: stored %s, want the winner's %s", round, r.Data, want)
		}
	}
	events, err := stores[0].Audit(t.Context(), acctA, 0)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if len(events) != rounds {
		t.Errorf("%d audit events, want one per successful insert (%d)", len(events), rounds)
	}
}

// testViewDuringUpdates moves units between two counters in Updates while
// Views check that they never see a half-done move and never go back in time.
func testViewDuringUpdates(t *testing.T, stores []warden.Store) {
	const total, writers, moves, readers = 1000, 4, 25, 4
	s0 := stores[0]
	update(t, s0, func(tx warden.Tx) error {
		ctx := t.Context()
		if err := warden.Insert(ctx, tx, &warden.Counter{Account: acctA, Name: "from", N: total}); err != nil {
			return err
		}
		return warden.Insert(ctx, tx, &warden.Counter{Account: acctA, Name: "to"})
	})

	var (
		writing sync.WaitGroup
		reading sync.WaitGroup
		done    = make(chan struct{})
	)
	for w := range writers {
		s := stores[w%len(stores)]
		writing.Go(func() {
			ctx := t.Context()
			for range moves {
				err := s.Update(ctx, func(tx warden.Tx) error {
					from, err := warden.Load[warden.Counter](ctx, tx, acctA, "from")
					if err != nil {
						return err
					}
					to, err := warden.Load[warden.Counter](ctx, tx, acctA, "to")
					if err != nil {
						return err
					}
					from.N--
					if err := warden.Save(ctx, tx, from); err != nil {
						return err
					}
					to.N++
					return warden.Save(ctx, tx, to)
				})
				if err != nil {
					t.Errorf("writer %d: move: %v", w, err)
					return
				}
			}
		})
	}
	for r := range readers {
		s := stores[(r+1)%len(stores)]
		reading.Go(func() {
			ctx := t.Context()
			last, views := 0, 0
			for {
				var from, to *warden.Counter
				var list []*warden.Counter
				err := s.View(ctx, func(tx warden.Tx) (err error) {
					if from, err = warden.Load[warden.Counter](ctx, tx, acctA, "from"); err != nil {
						return err
					}
					if list, err = warden.LoadAll[warden.Counter](ctx, tx, acctA, "", "", 0); err != nil {
						return err
					}
					to, err = warden.Load[warden.Counter](ctx, tx, acctA, "to")
					return err
				})
				if err != nil {
					t.Errorf("reader %d: View: %v", r, err)
					return
				}
				views++
				if from.N+to.N != total {
					t.Errorf("reader %d: from %d + to %d = %d, want %d: a half-done move", r, from.N, to.N, from.N+to.N, total)
					return
				}
				if len(list) != 2 || list[0].N != from.N || list[1].N != to.N {
					t.Errorf("reader %d: LoadAll disagrees with Load in one View: %+v vs from %d, to %d", r, list, from.N, to.N)
					return
				}
				if to.N < last {
					t.Errorf("reader %d: went back in time: to %d after %d", r, to.N, last)
					return
				}
				last = to.N
				select {
				case <-done:
					if views < 2 {
						continue // make sure each reader looked at least twice
					}
					return
				default:
				}
			}
		})
	}
	writing.Wait()
	close(done)
	reading.Wait()

	from, to := loadCounter(t, s0, acctA, "from"), loadCounter(t, s0, acctA, "to")
	if from.N != total-writers*moves || to.N != writers*moves {
		t.Errorf("after %d moves: from %d, to %d; want %d, %d", writers*moves, from.N, to.N, total-writers*moves, writers*moves)
	}
}

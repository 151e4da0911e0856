package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"wrapped", fmt.Errorf("get: %w", &pgconn.PgError{Code: "40001"}), true},
		{"unique violation", &pgconn.PgError{Code: "23505", Message: "could not serialize access due to concurrent update"}, false},
		{"message only", errors.New("could not serialize access due to concurrent update"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isRetryable(tt.err); got != tt.want {
				t.Errorf("isRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

const acct = "111111111111"

// interfere overwrites the counter behind the store's back, as a writer
// that does not take the write lock would: a transaction that read it
// before fails to serialize when it writes it.
func interfere(t *testing.T, s *Store, n int) {
	t.Helper()
	data := fmt.Sprintf(`{"account":%q,"name":"c","n":%d}`, acct, n)
	if _, err := s.pool.Exec(t.Context(),
		`UPDATE records SET data = $1 WHERE kind = 'counter' AND account = $2 AND key = 'c'`,
		[]byte(data), acct); err != nil {
		t.Fatalf("interfere: %v", err)
	}
}

func newCounter(t *testing.T) *Store {
	t.Helper()
	s := openTest(t, storetest.PostgresSchema(t))
	err := s.Update(t.Context(), func(tx warden.Tx) error {
		return warden.Insert(t.Context(), tx, &warden.Counter{Account: acct, Name: "c"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func counter(t *testing.T, s *Store) int {
	t.Helper()
	var c *warden.Counter
	err := s.View(t.Context(), func(tx warden.Tx) (err error) {
		c, err = warden.Load[warden.Counter](t.Context(), tx, acct, "c")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.N
}

// addTen is a read-modify-write whose first conflicts attempts meet a
// concurrent write; swallow makes fn ignore the failed Save.
func addTen(t *testing.T, s *Store, conflicts int, swallow bool) (attempts int, err error) {
	ctx := t.Context()
	err = s.Update(ctx, func(tx warden.Tx) error {
		attempts++
		c, err := warden.Load[warden.Counter](ctx, tx, acct, "c")
		if err != nil {
			return err
		}
		if attempts <= conflicts {
			interfere(t, s, 100*attempts)
		}
		c.N += 10
		if err := warden.Save(ctx, tx, c); err != nil && !swallow {
			return err
		}
		return nil
	})
	return attempts, err
}

func TestUpdateRetries(t *testing.T) {
	s := newCounter(t)
	attempts, err := addTen(t, s, 2, false)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if attempts != 3 {
		t.Errorf("fn ran %d times, want 3", attempts)
	}
	if n := counter(t, s); n != 210 {
		t.Errorf("counter = %d, want 210: the last interference plus 10", n)
	}
}

func TestUpdateRetriesSwallowedFailure(t *testing.T) {
	s := newCounter(t)
	attempts, err := addTen(t, s, 1, true)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if attempts != 2 {
		t.Errorf("fn ran %d times, want 2", attempts)
	}
	if n := counter(t, s); n != 110 {
		t.Errorf("counter = %d, want 110", n)
	}
}

func TestUpdateGivesUp(t *testing.T) {
	s := newCounter(t)
	g, err := s.Generation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	attempts, err := addTen(t, s, maxAttempts+1, false)
	if !errors.Is(err, warden.ErrConflict) {
		t.Fatalf("Update = %v, want ErrConflict", err)
	}
	if !isRetryable(err) {
		t.Errorf("Update = %v, want the last serialization failure wrapped too", err)
	}
	if attempts != maxAttempts {
		t.Errorf("fn ran %d times, want %d", attempts, maxAttempts)
	}
	if n := counter(t, s); n != 100*maxAttempts {
		t.Errorf("counter = %d, want the last interference, %d", n, 100*maxAttempts)
	}
	if g2, err := s.Generation(t.Context()); err != nil || g2 != g {
		t.Errorf("Generation %d -> %d, %v; want unchanged", g, g2, err)
	}
}

func TestBackoff(t *testing.T) {
	for attempt := 1; attempt < maxAttempts; attempt++ {
		for range 100 {
			if d := backoff(attempt); d <= 0 || d > maxBackoff {
				t.Fatalf("backoff(%d) = %v, want in (0, %v]", attempt, d, maxBackoff)
			}
		}
	}
}

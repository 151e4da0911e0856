package console

import (
	"net/http"
	"testing"
)

// BenchmarkSignIn measures one password sign-in attempt end to end (the GET
// of the form and the POST: HTTP, counters, argon2id, audit) for each
// outcome. The failures must cost the
// same: that is what keeps them from telling each other apart.
func BenchmarkSignIn(b *testing.B) {
	huge := 1 << 30
	s := newStack(b, Config{IPAttempts: huge, AccountAttempts: huge, UserAttempts: huge, MaxFailures: huge})
	s.user("alice", userPass, "")
	s.user("locked", userPass, "")
	for _, c := range []struct {
		name, user, password string
		status               int
	}{
		{"success", "alice", userPass, http.StatusSeeOther},
		{"wrong password", "alice", "wrong", http.StatusUnauthorized},
		{"unknown user", "mallory", userPass, http.StatusUnauthorized},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				br := s.browser() // a fresh one: a signed-in browser is sent to the console
				if p := br.signIn(testAccount, c.user, c.password, false); p.status != c.status {
					b.Fatalf("status %d", p.status)
				}
			}
		})
	}
	b.Run("locked", func(b *testing.B) {
		s := newStack(b, Config{IPAttempts: huge, AccountAttempts: huge, UserAttempts: huge, MaxFailures: 1})
		s.user("alice", userPass, "")
		br := s.browser()
		br.signIn(testAccount, "alice", "wrong", false)
		for b.Loop() {
			if p := br.signIn(testAccount, "alice", userPass, false); p.status != http.StatusUnauthorized {
				b.Fatalf("status %d", p.status)
			}
		}
	})
}

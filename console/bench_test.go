package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/warden-iam/warden"
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

// BenchmarkUsersPage measures the users list (a page of 25 with every
// column) and the groups list at 1,000 and 5,000 users in the account:
// server time per page (ns/op) and the page's weight (bytes/page). By name
// (the first page, and page 20 reached by its markers) a page reads one
// page from the store; a search and another sort read at most
// usersScanLimit users.
func BenchmarkUsersPage(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(strconv.Itoa(n)+" users", func(b *testing.B) {
			s := newStack(b, Config{})
			err := s.store.Update(context.Background(), func(tx warden.Tx) error {
				for i := range n {
					name := fmt.Sprintf("user-%05d", i)
					u := &warden.User{Account: testAccount, ID: fmt.Sprintf("AIDA%016d", i), Name: name, Path: "/", CreateDate: time.Now().UTC()}
					if err := warden.Insert(context.Background(), tx, u); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			br := s.signedIn()
			deep := "/console/users"
			for range 19 {
				m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(br.get(deep).body)
				if m == nil {
					b.Fatal("no next page")
				}
				deep = html.UnescapeString(m[1])
			}
			for _, path := range []string{"/console/users", deep, "/console/users?q=user-0042", "/console/users?page=20&sort=created", "/console/groups"} {
				name := path
				if path == deep {
					name = "/console/users page 20"
				}
				b.Run(name, func(b *testing.B) {
					var size int
					for b.Loop() {
						p := br.get(path)
						if p.status != http.StatusOK {
							b.Fatalf("status %d", p.status)
						}
						size = len(p.body)
					}
					b.ReportMetric(float64(size), "bytes/page")
				})
			}
		})
	}
}

package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

var userLinkRE = regexp.MustCompile(`<a href="/console/users/([^"]+)">`)

// TestUsersListPagesByMarker: listed by name, the users list walks the
// account page by page with the markers of the paged ListUsers call: every
// user exactly once, in name order, "Previous" going back the way it came;
// a search over more users than it reads says so.
func TestUsersListPagesByMarker(t *testing.T) {
	s := newStack(t, Config{})
	const n = 57
	for i := range n {
		s.as(&s.root, "CreateUser", "UserName", fmt.Sprintf("u-%03d", i))
	}
	b := s.signedIn()
	var seen []string
	var pages []string
	at := "/console/users?size=10"
	for range 20 {
		p := b.get(at)
		expect(t, p, http.StatusOK, "")
		pages = append(pages, at)
		for _, m := range userLinkRE.FindAllStringSubmatch(p.body, -1) {
			if m[1] != "new" {
				seen = append(seen, m[1])
			}
		}
		if !strings.Contains(p.body, fmt.Sprintf("Page %d of 6", len(pages))) || !strings.Contains(p.body, "Users <span class=\"count\">(57)") {
			t.Fatalf("page %d: %s", len(pages), excerpt(p.body))
		}
		next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.body)
		if next == nil {
			break
		}
		at = html.UnescapeString(next[1])
	}
	if len(pages) != 6 || len(seen) != n {
		t.Fatalf("%d pages, %d users: %v", len(pages), len(seen), seen)
	}
	for i, name := range seen {
		if name != fmt.Sprintf("u-%03d", i) {
			t.Fatalf("user %d is %s", i, name)
		}
	}
	// Previous from the last page is the page before, with its users.
	last := b.get(pages[5])
	prev := regexp.MustCompile(`href="([^"]+)" rel="prev"`).FindStringSubmatch(last.body)
	if prev == nil {
		t.Fatal("no Previous on the last page")
	}
	p := b.get(html.UnescapeString(prev[1]))
	if !strings.Contains(p.body, ">u-040<") || !strings.Contains(p.body, ">u-049<") || strings.Contains(p.body, ">u-050<") || !strings.Contains(p.body, "Page 5 of 6") {
		t.Errorf("Previous: %s", excerpt(p.body))
	}
	// A marker that is not one starts over.
	expect(t, b.get("/console/users?size=10&page=3&after=bogus"), http.StatusOK, "")

	t.Run("bounded search", func(t *testing.T) {
		err := s.store.Update(context.Background(), func(tx warden.Tx) error {
			for i := range usersScanLimit {
				u := &warden.User{Account: testAccount, ID: fmt.Sprintf("AIDA%016d", i), Name: fmt.Sprintf("v-%05d", i), Path: "/", CreateDate: time.Now().UTC()}
				if err := warden.Insert(context.Background(), tx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p := b.get("/console/users?q=v-009")
		if !strings.Contains(p.body, `id="users-bounded"`) || !strings.Contains(p.body, "first 1000 users") {
			t.Errorf("a search over more users than it reads does not say so: %s", excerpt(p.body))
		}
		if p := b.get("/console/users?q=u-01"); !strings.Contains(p.body, ">u-010<") {
			t.Errorf("search: %s", excerpt(p.body))
		}
	})
}

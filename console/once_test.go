package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/storetest"
)

// TestSecretPagesPostRedirectGet: creating an access key answers with a
// redirect; the page it names shows the secret once; reloading it creates no
// second key and shows no secret; the sealed page is not readable in the
// store, and another session cannot open it.
func TestSecretPagesPostRedirectGet(t *testing.T) {
	s := newStack(t, Config{})
	s.user("alice", userPass, "")
	b := s.signedIn()
	created := b.post("/console/users/alice/keys", url.Values{}, "/console/users/alice")
	expect(t, created, http.StatusSeeOther, "")
	at := created.location
	if !strings.HasPrefix(at, "/console/shown/") {
		t.Fatalf("key creation redirects to %q", at)
	}

	// Before it is opened, the secret is in the session record only sealed.
	var keys keysResult
	res, err := s.iam.Invoke(context.Background(), &s.root, "ListAccessKeys", form("UserName", "alice"))
	if err != nil {
		t.Fatal(err)
	}
	s.decode(res, &keys)
	if len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("%d keys after one POST", len(keys.AccessKeyMetadata))
	}
	keyID := keys.AccessKeyMetadata[0].AccessKeyID
	cred, err := s.iam.Credential(context.Background(), keyID)
	if err != nil {
		t.Fatal(err)
	}
	err = s.store.View(context.Background(), func(tx warden.Tx) error {
		rs, err := tx.List(context.Background(), warden.KindConsoleSession, "", "", "", 100)
		for _, r := range rs {
			if strings.Contains(string(r.Data), cred.Secret) {
				t.Error("the secret is stored in clear in the session record")
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Another session cannot open it.
	other := s.signedIn()
	expect(t, other.get(at), http.StatusGone, "")

	p := b.get(at)
	expect(t, p, http.StatusOK, "")
	if find(t, `id="new-secret">([^<]+)<`, p.body) != cred.Secret || find(t, `id="new-key-id">([^<]+)<`, p.body) != keyID {
		t.Fatalf("the page shows another key\n%s", excerpt(p.body))
	}
	for range 2 {
		again := b.get(at)
		expect(t, again, http.StatusGone, "")
		if strings.Contains(again.body, cred.Secret) || !strings.Contains(again.body, "Nothing was created a second time") {
			t.Fatalf("reload: %s", excerpt(again.body))
		}
	}
	res, err = s.iam.Invoke(context.Background(), &s.root, "ListAccessKeys", form("UserName", "alice"))
	if err != nil {
		t.Fatal(err)
	}
	keys = keysResult{}
	s.decode(res, &keys)
	if len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("%d keys after reloading", len(keys.AccessKeyMetadata))
	}

	t.Run("unknown id", func(t *testing.T) {
		expect(t, b.get("/console/shown/nonsense"), http.StatusGone, "")
	})
	t.Run("at most a few wait", func(t *testing.T) {
		var at []string
		for range maxOnce + 1 {
			p := b.post("/console/users/alice/mfa", url.Values{}, "/console/users/alice")
			expect(t, p, http.StatusSeeOther, "")
			at = append(at, p.location)
		}
		expect(t, b.get(at[0]), http.StatusGone, "")
		if p := b.get(at[len(at)-1]); p.status != http.StatusOK || !strings.Contains(p.body, `id="mfa-seed"`) {
			t.Fatalf("newest enrolment page: %d\n%s", p.status, excerpt(p.body))
		}
	})
}

// TestSecretPageAcrossNodes: two nodes share a PostgreSQL store and the
// master key; the key created through one is shown by the other, once.
func TestSecretPageAcrossNodes(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	a := newStackOn(t, Config{}, openPostgres(t, dsn), true)
	a.user("alice", userPass, "")
	nodeB := newStackOn(t, Config{}, openPostgres(t, dsn), false)
	br := a.signedIn()
	created := br.post("/console/users/alice/keys", url.Values{}, "/console/users/alice")
	expect(t, created, http.StatusSeeOther, "")
	br.base = nodeB.srv.URL // the load balancer sends the GET elsewhere
	p := br.get(created.location)
	expect(t, p, http.StatusOK, "")
	if secret := find(t, `id="new-secret">([^<]+)<`, p.body); len(secret) != 40 {
		t.Fatalf("secret %q", secret)
	}
	br.base = a.srv.URL
	expect(t, br.get(created.location), http.StatusGone, "")
}

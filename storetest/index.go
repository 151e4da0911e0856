package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// indexKinds are the kinds of index record (see warden.KindPathIndex).
var indexKinds = []warden.Kind{warden.KindAttachedPolicy, warden.KindAttachedPolicyPath, warden.KindAttachment,
	warden.KindAttachmentPath, warden.KindDelegationExpiry, warden.KindDelegationOwner, warden.KindDelegationWorkflow,
	warden.KindGroupMember, warden.KindMFAAssignment, warden.KindNoticeTopic, warden.KindPathIndex, warden.KindRoleProfile,
	warden.KindServiceCredService, warden.KindServiceCredUser, warden.KindSigningCertFP, warden.KindUserID}

// indexedKinds are the kinds of entity that have index records.
var indexedKinds = []warden.Kind{warden.KindUser, warden.KindGroup, warden.KindRole, warden.KindInstanceProfile, warden.KindPolicy,
	warden.KindServiceCredential, warden.KindSigningCertificate, warden.KindDelegationRequest, warden.KindDelegationNotice,
	warden.KindMFADevice}

// IndexKeys returns the keys of the index records of account, as
// "<kind>|<key>", sorted.
func IndexKeys(t testing.TB, s warden.Store, account string) []string {
	t.Helper()
	var out []string
	err := s.View(context.Background(), func(tx warden.Tx) error {
		for _, k := range indexKinds {
			rs, err := tx.List(context.Background(), k, account, "", "", 0)
			if err != nil {
				return err
			}
			for _, r := range rs {
				if string(r.Data) != "{}" {
					return fmt.Errorf("index record %s %q has data %q, want {}", k, r.Key, r.Data)
				}
				out = append(out, string(k)+"|"+r.Key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("index keys: %v", err)
	}
	slices.Sort(out)
	return out
}

// CheckIndexes fails the test unless the index records of account are
// exactly those warden.IndexRefs computes from its entities: none missing,
// none left over.
func CheckIndexes(t testing.TB, s warden.Store, account string) {
	t.Helper()
	var want []string
	err := s.View(context.Background(), func(tx warden.Tx) error {
		for _, k := range indexedKinds {
			rs, err := tx.List(context.Background(), k, account, "", "", 0)
			if err != nil {
				return err
			}
			for _, r := range rs {
				refs, err := warden.IndexRefs(r)
				if err != nil {
					return err
				}
				for _, ref := range refs {
					want = append(want, string(ref.Kind)+"|"+ref.Key)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("expected index keys: %v", err)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	got := IndexKeys(t, s, account)
	if !slices.Equal(got, want) {
		missing, extra := diff(want, got), diff(got, want)
		t.Errorf("index records of %s: %d, want %d; missing %q, left over %q", account, len(got), len(want), first(missing), first(extra))
	}
}

// diff returns the elements of a not in b (both sorted).
func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	return out
}

func first(s []string) []string { return s[:min(5, len(s))] }

// IndexFixture stores, through warden.Insert, entities of every indexed
// kind in account: users in groups, under paths, with policies attached and
// as boundary, roles in instance profiles, customer managed policies in use
// (attached and a boundary, attached only, a boundary only) and one not,
// service-specific credentials, signing certificates, delegation notices
// of two topics (one with a space, which Warden does not refuse), virtual
// MFA devices enabled for a user, for the root user and for no one. It
// returns the keys of the index records they must have in account (see DelegationFixture for the global ones).
func IndexFixture(ctx context.Context, tx warden.Tx, account string) ([]string, error) {
	p1 := "arn:aws:iam::" + account + ":policy/team/p1"
	aws := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	topic := "arn:aws:sns:us-east-1:" + account + ":partner"
	noticeTime := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	entities := []warden.Entity{
		// P1 is attached to Admins and Alice and is Alice's boundary; the
		// counts of the others are as if used by entities elsewhere.
		&warden.ManagedPolicy{Account: account, ID: "ANPA1", Name: "P1", Path: "/team/", AttachmentCount: 2, BoundaryCount: 1},
		&warden.ManagedPolicy{Account: account, ID: "ANPA2", Name: "Used", Path: "/", AttachmentCount: 3},
		&warden.ManagedPolicy{Account: account, ID: "ANPA3", Name: "Fence", Path: "/b/", BoundaryCount: 1},
		&warden.ManagedPolicy{Account: account, ID: "ANPA4", Name: "Idle", Path: "/"},
		&warden.Group{Account: account, ID: "AGPA1", Name: "Admins", Path: "/", AttachedPolicies: []string{p1}},
		&warden.Group{Account: account, ID: "AGPA2", Name: "dev", Path: "/eng/"},
		&warden.User{Account: account, ID: "AIDA1", Name: "Alice", Path: "/eng/a/", Groups: []string{"Admins", "dev"},
			AttachedPolicies: []string{p1, aws}, PermissionsBoundary: p1},
		&warden.User{Account: account, ID: "AIDA2", Name: "bob", Path: "/", Groups: []string{"dev"}},
		&warden.Role{Account: account, ID: "AROA1", Name: "Deploy", Path: "/svc/", PermissionsBoundary: aws},
		&warden.InstanceProfile{Account: account, ID: "AIPA1", Name: "Web", Path: "/svc/", Roles: []string{"Deploy"}},
		&warden.ServiceCredential{Account: account, ID: "ACCA1", Owner: "AIDA1", ServiceName: "codecommit.amazonaws.com",
			ServiceUser: "Alice-at-" + account},
		&warden.ServiceCredential{Account: account, ID: "ACCA2", Owner: "AIDA1", ServiceName: "codecommit.amazonaws.com",
			ServiceUser: "Alice+1-at-" + account},
		&warden.ServiceCredential{Account: account, ID: "ACCA3", Owner: "AIDA2", ServiceName: "bedrock.amazonaws.com",
			ServiceUser: "BedrockAPIKey-ab12-at-" + account},
		&warden.SigningCertificate{Account: account, ID: "CERT1", Owner: "AIDA1", Fingerprint: "0123456789abcdef0123456789abcdef"},
		&warden.SigningCertificate{Account: account, ID: "CERT2", Owner: warden.RootOwner, Fingerprint: "fedcba98765432100123456789abcdef"},
		&warden.DelegationNotice{Account: account, ID: "n1", Topic: topic, Time: noticeTime},
		&warden.DelegationNotice{Account: account, ID: "n2", Topic: topic + " b", Time: noticeTime.Add(time.Nanosecond)},
		// A subject with a NUL, which PostgreSQL's jsonb cannot hold: migration 0060 still indexes it.
		&warden.DelegationNotice{Account: account, ID: "n3", Topic: topic, Time: noticeTime.Add(2 * time.Nanosecond), Subject: "nul \x00 \\u0000 here"},
		&warden.MFADevice{Account: account, SerialNumber: warden.MFASerialNumber(account, "/", "Alice-Phone"), Path: "/",
			Name: "Alice-Phone", UserName: "Alice", EnableDate: noticeTime},
		&warden.MFADevice{Account: account, SerialNumber: warden.MFASerialNumber(account, "/ops/", "root"), Path: "/ops/",
			Name: "root", UserName: warden.RootMFAUser, EnableDate: noticeTime},
		&warden.MFADevice{Account: account, SerialNumber: warden.MFASerialNumber(account, "/", "spare"), Path: "/", Name: "spare"},
	}
	for _, e := range entities {
		if err := warden.Insert(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	want := []string{
		"path|policy /team/ p1",
		"path|policy / used",
		"path|policy /b/ fence",
		"path|policy / idle",
		"attachedpolicy|any p1",
		"attachedpolicy|policy p1",
		"attachedpolicy|boundary p1",
		"attachedpolicypath|any /team/ p1",
		"attachedpolicypath|policy /team/ p1",
		"attachedpolicypath|boundary /team/ p1",
		"attachedpolicy|any used",
		"attachedpolicy|policy used",
		"attachedpolicypath|any / used",
		"attachedpolicypath|policy / used",
		"attachedpolicy|any fence",
		"attachedpolicy|boundary fence",
		"attachedpolicypath|any /b/ fence",
		"attachedpolicypath|boundary /b/ fence",
		"path|group / admins",
		"path|group /eng/ dev",
		"path|user /eng/a/ alice",
		"path|user / bob",
		"userid|AIDA1 alice",
		"userid|AIDA2 bob",
		"servicecreduser|codecommit.amazonaws.com Alice-at-" + account + " AIDA1/ACCA1",
		"servicecreduser|codecommit.amazonaws.com Alice+1-at-" + account + " AIDA1/ACCA2",
		"servicecreduser|bedrock.amazonaws.com BedrockAPIKey-ab12-at-" + account + " AIDA2/ACCA3",
		"servicecredservice|codecommit.amazonaws.com AIDA1/ACCA1",
		"servicecredservice|codecommit.amazonaws.com AIDA1/ACCA2",
		"servicecredservice|bedrock.amazonaws.com AIDA2/ACCA3",
		"mfaassignment|Assigned /alice-phone",
		"mfaassignment|Assigned /ops/root",
		"mfaassignment|Unassigned /spare",
		"signingcertfp|0123456789abcdef0123456789abcdef AIDA1/CERT1",
		"signingcertfp|fedcba98765432100123456789abcdef root/CERT2",
		"noticetopic|" + warden.IndexHash(topic) + " 20260501T120000.000000000Z/n1",
		"noticetopic|" + warden.IndexHash(topic) + " 20260501T120000.000000002Z/n3",
		"noticetopic|" + warden.IndexHash(topic+" b") + " 20260501T120000.000000001Z/n2",
		"path|role /svc/ deploy",
		"path|instanceprofile /svc/ web",
		"groupmember|admins alice",
		"groupmember|dev alice",
		"groupmember|dev bob",
		"roleprofile|deploy web",
		"attachment|" + p1 + " policy group admins",
		"attachment|" + p1 + " any group admins",
		"attachmentpath|" + p1 + " policy group / admins",
		"attachmentpath|" + p1 + " any group / admins",
		"attachment|" + p1 + " policy user alice",
		"attachment|" + p1 + " boundary user alice",
		"attachment|" + p1 + " any user alice",
		"attachmentpath|" + p1 + " policy user /eng/a/ alice",
		"attachmentpath|" + p1 + " boundary user /eng/a/ alice",
		"attachmentpath|" + p1 + " any user /eng/a/ alice",
		"attachment|" + aws + " policy user alice",
		"attachment|" + aws + " any user alice",
		"attachmentpath|" + aws + " policy user /eng/a/ alice",
		"attachmentpath|" + aws + " any user /eng/a/ alice",
		"attachment|" + aws + " boundary role deploy",
		"attachment|" + aws + " any role deploy",
		"attachmentpath|" + aws + " boundary role /svc/ deploy",
		"attachmentpath|" + aws + " any role /svc/ deploy",
	}
	slices.Sort(want)
	return want, nil
}

// testIndexMaintenance checks that Insert, Save and Remove keep the index
// records of an entity in step through membership changes, a path change, a
// rename and a delete, without touching another account's.
func testIndexMaintenance(t *testing.T, s warden.Store) {
	ctx := t.Context()
	var want []string
	update(t, s, func(tx warden.Tx) (err error) {
		want, err = IndexFixture(ctx, tx, acctA)
		return err
	})
	update(t, s, func(tx warden.Tx) error { _, err := IndexFixture(ctx, tx, acctB); return err })
	if got := IndexKeys(t, s, acctA); !slices.Equal(got, want) {
		t.Fatalf("after Insert: index keys\n%q\nwant\n%q", got, want)
	}
	CheckIndexes(t, s, acctA)

	loadUser := func(tx warden.Tx, name string) *warden.User {
		u, err := warden.Load[warden.User](ctx, tx, acctA, name)
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		return u
	}
	has := func(keys ...string) {
		t.Helper()
		got := IndexKeys(t, s, acctA)
		for _, k := range keys {
			if _, ok := slices.BinarySearch(got, k); !ok {
				t.Errorf("index record %q missing", k)
			}
		}
	}
	hasNot := func(keys ...string) {
		t.Helper()
		got := IndexKeys(t, s, acctA)
		for _, k := range keys {
			if _, ok := slices.BinarySearch(got, k); ok {
				t.Errorf("index record %q left over", k)
			}
		}
	}

	// Leave a group, join none: a Save of the membership.
	update(t, s, func(tx warden.Tx) error {
		u := loadUser(tx, "alice")
		u.Groups = []string{"dev"}
		return warden.Save(ctx, tx, u)
	})
	hasNot("groupmember|admins alice")
	has("groupmember|dev alice")
	CheckIndexes(t, s, acctA)

	// A path change moves the path and path-ordered attachment records.
	update(t, s, func(tx warden.Tx) error {
		u := loadUser(tx, "alice")
		u.Path = "/ops/"
		u.PermissionsBoundary = ""
		return warden.Save(ctx, tx, u)
	})
	hasNot("path|user /eng/a/ alice", "attachmentpath|arn:aws:iam::"+acctA+":policy/team/p1 policy user /eng/a/ alice",
		"attachment|arn:aws:iam::"+acctA+":policy/team/p1 boundary user alice")
	has("path|user /ops/ alice", "attachmentpath|arn:aws:iam::"+acctA+":policy/team/p1 policy user /ops/ alice",
		"attachment|arn:aws:iam::"+acctA+":policy/team/p1 any user alice")
	CheckIndexes(t, s, acctA)

	// A policy's counts decide its attached-policy records: detached
	// everywhere it keeps only its boundary ones, unused it has none, and a
	// path change moves the path-ordered ones.
	savePolicy := func(name string, change func(*warden.ManagedPolicy)) {
		t.Helper()
		update(t, s, func(tx warden.Tx) error {
			mp, err := warden.Load[warden.ManagedPolicy](ctx, tx, acctA, name)
			if err != nil {
				return err
			}
			change(mp)
			return warden.Save(ctx, tx, mp)
		})
	}
	savePolicy("p1", func(mp *warden.ManagedPolicy) { mp.AttachmentCount = 0 })
	hasNot("attachedpolicy|policy p1", "attachedpolicypath|policy /team/ p1")
	has("attachedpolicy|any p1", "attachedpolicy|boundary p1", "attachedpolicypath|boundary /team/ p1")
	savePolicy("p1", func(mp *warden.ManagedPolicy) { mp.BoundaryCount = 0 })
	hasNot("attachedpolicy|any p1", "attachedpolicy|boundary p1", "attachedpolicypath|any /team/ p1")
	savePolicy("idle", func(mp *warden.ManagedPolicy) { mp.AttachmentCount, mp.Path = 1, "/x/" })
	has("attachedpolicy|any idle", "attachedpolicy|policy idle", "attachedpolicypath|policy /x/ idle")
	hasNot("attachedpolicy|boundary idle", "attachedpolicypath|policy / idle")
	CheckIndexes(t, s, acctA)

	// A rename is an Insert of the new name and a Remove of the old.
	update(t, s, func(tx warden.Tx) error {
		u := loadUser(tx, "alice")
		renamed := *u
		renamed.Name = "Carol"
		if err := warden.Insert(ctx, tx, &renamed); err != nil {
			return err
		}
		return warden.Remove(ctx, tx, u)
	})
	hasNot("path|user /ops/ alice", "groupmember|dev alice")
	has("path|user /ops/ carol", "groupmember|dev carol")
	CheckIndexes(t, s, acctA)

	// A group rename changes its members' records too (iam saves them).
	update(t, s, func(tx warden.Tx) error {
		g, err := warden.Load[warden.Group](ctx, tx, acctA, "dev")
		if err != nil {
			return err
		}
		renamed := *g
		renamed.Name = "devs"
		if err := warden.Insert(ctx, tx, &renamed); err != nil {
			return err
		}
		if err := warden.Remove(ctx, tx, g); err != nil {
			return err
		}
		for _, name := range []string{"carol", "bob"} {
			u := loadUser(tx, name)
			u.Groups = []string{"devs"}
			if err := warden.Save(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	hasNot("path|group /eng/ dev", "groupmember|dev bob", "groupmember|dev carol")
	has("path|group /eng/ devs", "groupmember|devs bob", "groupmember|devs carol")
	CheckIndexes(t, s, acctA)

	// A Save that fails (no such entity) writes no index record; a rolled
	// back one leaves the old ones.
	err := s.Update(ctx, func(tx warden.Tx) error {
		return warden.Save(ctx, tx, &warden.User{Account: acctA, Name: "ghost", Path: "/", Groups: []string{"devs"}})
	})
	if !warden.IsNotFound(err) {
		t.Errorf("Save of a missing user: %v, want ErrNotFound", err)
	}
	_ = s.Update(ctx, func(tx warden.Tx) error {
		u := loadUser(tx, "bob")
		u.Groups = nil
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return errBoom
	})
	has("groupmember|devs bob")
	hasNot("groupmember|devs ghost")

	// Deleting every entity leaves no index record behind.
	update(t, s, func(tx warden.Tx) error {
		for _, k := range indexedKinds {
			rs, err := tx.List(ctx, k, acctA, "", "", 0)
			if err != nil {
				return err
			}
			for _, r := range rs {
				var e warden.Entity
				switch k {
				case warden.KindUser:
					e = &warden.User{Account: acctA, Name: r.Key}
				case warden.KindGroup:
					e = &warden.Group{Account: acctA, Name: r.Key}
				case warden.KindRole:
					e = &warden.Role{Account: acctA, Name: r.Key}
				case warden.KindInstanceProfile:
					e = &warden.InstanceProfile{Account: acctA, Name: r.Key}
				case warden.KindPolicy:
					e = &warden.ManagedPolicy{Account: acctA, Name: r.Key}
				case warden.KindServiceCredential:
					owner, id, _ := strings.Cut(r.Key, "/")
					e = &warden.ServiceCredential{Account: acctA, Owner: owner, ID: id}
				case warden.KindSigningCertificate:
					owner, id, _ := strings.Cut(r.Key, "/")
					e = &warden.SigningCertificate{Account: acctA, Owner: owner, ID: id}
				case warden.KindDelegationRequest:
					e = &warden.DelegationRequest{ID: r.Key}
				case warden.KindMFADevice:
					e = &warden.MFADevice{Account: acctA, Name: r.Key}
				case warden.KindDelegationNotice:
					n, err := warden.Load[warden.DelegationNotice](ctx, tx, acctA, r.Key)
					if err != nil {
						return err
					}
					e = n
				}
				// The stored version's index records go, not those of
				// the (empty) value passed.
				if err := warden.Remove(ctx, tx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if got := IndexKeys(t, s, acctA); len(got) != 0 {
		t.Errorf("after removing every entity: index records %q", first(got))
	}
	// The other account's are untouched.
	if got, _ := IndexFixture(ctx, nopTx{}, acctB); !slices.Equal(IndexKeys(t, s, acctB), got) {
		t.Errorf("index records of %s changed", acctB)
	}
}

// nopTx is a Tx that accepts every write and stores nothing: IndexFixture
// on it just returns the keys.
type nopTx struct{ warden.Tx }

func (nopTx) Insert(context.Context, warden.Record) error { return nil }

// testIndexesDecideNothing checks that index records stay out of the change
// feed: a membership change is the user record's change alone.
func testIndexesDecideNothing(t *testing.T, s warden.Store) {
	ctx := t.Context()
	update(t, s, func(tx warden.Tx) error {
		if err := warden.Insert(ctx, tx, &warden.Group{Account: acctA, Name: "g", Path: "/"}); err != nil {
			return err
		}
		return warden.Insert(ctx, tx, &warden.User{Account: acctA, Name: "u", Path: "/"})
	})
	g0 := generation(t, s)
	update(t, s, func(tx warden.Tx) error {
		u, err := warden.Load[warden.User](ctx, tx, acctA, "u")
		if err != nil {
			return err
		}
		u.Groups = []string{"g"}
		return warden.Save(ctx, tx, u)
	})
	ch, err := s.ChangesSince(ctx, g0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []warden.Ref{{Kind: warden.KindUser, Account: acctA, Key: "u"}}
	if !slices.Equal(ch.Refs, want) {
		t.Errorf("changes of a membership change = %v, want %v", ch.Refs, want)
	}
	for _, k := range indexKinds {
		if k.Decides() {
			t.Errorf("index kind %s decides access", k)
		}
	}
}

// testConcurrentMembership has workers, spread over the stores, add users
// to groups and remove them, several on the same user at once: the member
// index must end exactly as the users' records say.
func testConcurrentMembership(t *testing.T, stores []warden.Store) {
	const users, groups, workers, rounds = 4, 3, 8, 12
	ctx := t.Context()
	update(t, stores[0], func(tx warden.Tx) error {
		for g := range groups {
			if err := warden.Insert(ctx, tx, &warden.Group{Account: acctA, Name: fmt.Sprintf("g%d", g), Path: "/"}); err != nil {
				return err
			}
		}
		for u := range users {
			if err := warden.Insert(ctx, tx, &warden.User{Account: acctA, Name: fmt.Sprintf("u%d", u), Path: "/"}); err != nil {
				return err
			}
		}
		return nil
	})
	toggle := func(s warden.Store, user, group string) error {
		return s.Update(ctx, func(tx warden.Tx) error {
			u, err := warden.Load[warden.User](ctx, tx, acctA, user)
			if err != nil {
				return err
			}
			if i := slices.Index(u.Groups, group); i >= 0 {
				u.Groups = slices.Delete(u.Groups, i, i+1)
			} else {
				u.Groups = append(u.Groups, group)
			}
			return warden.Save(ctx, tx, u)
		})
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			<-start
			for r := range rounds {
				user, group := fmt.Sprintf("u%d", (w+r)%users), fmt.Sprintf("g%d", (w*r)%groups)
				if err := toggle(s, user, group); err != nil {
					t.Errorf("worker %d: toggle %s in %s: %v", w, user, group, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	CheckIndexes(t, stores[0], acctA)
	// And each group's member records list exactly the users that say so.
	view(t, stores[0], func(tx warden.Tx) error {
		for g := range groups {
			name := fmt.Sprintf("g%d", g)
			rs, err := tx.List(ctx, warden.KindGroupMember, acctA, name+" ", "", 0)
			if err != nil {
				return err
			}
			var got, want []string
			for _, r := range rs {
				got = append(got, warden.IndexTarget(r.Key))
			}
			for u := range users {
				uu, err := warden.Load[warden.User](ctx, tx, acctA, fmt.Sprintf("u%d", u))
				if err != nil {
					return err
				}
				if slices.Contains(uu.Groups, name) {
					want = append(want, uu.Name)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("members of %s = %q, want %q", name, got, want)
			}
		}
		return nil
	})
	if t.Failed() {
		t.Logf("index keys: %s", strings.Join(IndexKeys(t, stores[0], acctA), "\n"))
	}
}

// IndexMigrationVersion is the migration that introduced index records;
// AttachedPolicyMigrationVersion the one that added the attached-policy
// records of customer managed policies in use.
const (
	IndexMigrationVersion          = 40
	AttachedPolicyMigrationVersion = 50
)

// laterMigrations are the migrations from IndexMigrationVersion on, which
// the index migration tests replay (each must run again harmlessly).
var laterMigrations = []int{IndexMigrationVersion, AttachedPolicyMigrationVersion, LookupMigrationVersion,
	EventChunksMigrationVersion, FilterMigrationVersion}

// migrationsSince returns the later migrations from version on.
func migrationsSince(version int) []int {
	var out []int
	for _, v := range laterMigrations {
		if v >= version {
			out = append(out, v)
		}
	}
	return out
}

// DowngradeIndexSQL turns a database into one written by a Warden before
// index records: no index record, no migration IndexMigrationVersion or
// later. The records table is unchanged by that migration.
var DowngradeIndexSQL = []string{
	`DELETE FROM records WHERE kind IN ('path', 'groupmember', 'roleprofile', 'attachment', 'attachmentpath',
		'attachedpolicy', 'attachedpolicypath', 'userid', 'servicecreduser', 'signingcertfp', 'delegationowner',
		'delegationworkflow', 'delegationexpiry', 'noticetopic', 'servicecredservice', 'mfaassignment')`,
	fmt.Sprintf(`DELETE FROM schema_migrations WHERE version >= %d`, IndexMigrationVersion),
}

// RunIndexMigration checks that the migrations build the index records of
// a database written before them: open opens a store on one database (the
// test closes it), exec runs statements on that database while no store is
// open and returns how many rows they changed. The records the migrations
// build must be exactly those Insert wrote: from scratch (before migration
// 40), before migration 50, before migration 60 and before migration 80.
func RunIndexMigration(t *testing.T, open func(t *testing.T) warden.Store, exec func(t *testing.T, stmts []string) int64) {
	ctx := t.Context()
	s := open(t)
	err := s.Update(ctx, func(tx warden.Tx) error {
		for _, acct := range []string{acctA, acctB} {
			if _, err := IndexFixture(ctx, tx, acct); err != nil {
				return err
			}
		}
		if _, err := DelegationFixture(ctx, tx, acctA, acctB); err != nil {
			return err
		}
		if _, err := DelegationFixture(ctx, tx, acctB, acctA); err != nil {
			return err
		}
		// Many members and attachments, some with upper-case names, with
		// service-specific credentials and signing certificates.
		for i := range 120 {
			u := &warden.User{Account: acctA, ID: fmt.Sprintf("AIDAM%03d", i), Name: fmt.Sprintf("Member-%03d", i),
				Path: fmt.Sprintf("/p%d/", i%4), Groups: []string{"Admins"}}
			if i%2 == 0 {
				u.AttachedPolicies = []string{"arn:aws:iam::" + acctA + ":policy/team/p1"}
			}
			if err := warden.Insert(ctx, tx, u); err != nil {
				return err
			}
			if i%4 == 0 {
				c := &warden.SigningCertificate{Account: acctA, ID: fmt.Sprintf("CERTM%03d", i), Owner: u.ID,
					Fingerprint: fmt.Sprintf("%032x", i*7919)}
				if err := warden.Insert(ctx, tx, c); err != nil {
					return err
				}
			}
			if i%3 == 0 {
				c := &warden.ServiceCredential{Account: acctA, ID: fmt.Sprintf("ACCAM%03d", i), Owner: u.ID,
					ServiceName: "cassandra.amazonaws.com", ServiceUser: u.Name + "-at-" + acctA}
				if err := warden.Insert(ctx, tx, c); err != nil {
					return err
				}
			}
			// Virtual MFA devices, upper-case names under two paths, every
			// third enabled, some tagged with free text that has a NUL and
			// the text of its JSON escape.
			path := []string{"/", "/Team/"}[i%2]
			d := &warden.MFADevice{Account: acctA, SerialNumber: warden.MFASerialNumber(acctA, path, u.Name), Path: path, Name: u.Name}
			if i%3 == 0 {
				d.UserName, d.EnableDate = u.Name, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			}
			if i%5 == 0 {
				d.Tags = []warden.Tag{{Key: "note", Value: "a\x00b \\u0000"}}
			}
			if err := warden.Insert(ctx, tx, d); err != nil {
				return err
			}
		}
		// Customer managed policies attached, a boundary, both and neither.
		for i := range 40 {
			mp := &warden.ManagedPolicy{Account: acctA, ID: fmt.Sprintf("ANPAM%03d", i), Name: fmt.Sprintf("Pol-%03d", i),
				Path: fmt.Sprintf("/q%d/", i%3), AttachmentCount: i % 4 / 2 * (i%5 + 1), BoundaryCount: i % 2}
			if err := warden.Insert(ctx, tx, mp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{acctA: IndexKeys(t, s, acctA), acctB: IndexKeys(t, s, acctB), global: IndexKeys(t, s, global)}
	if len(want[acctA]) < 300 {
		t.Fatalf("only %d index records written", len(want[acctA]))
	}
	s.Close()

	attached, lookup, filter := 0, 0, 0
	for _, keys := range want {
		for _, k := range keys {
			if isFilterKey(k) {
				filter++
			}
			if strings.HasPrefix(k, string(warden.KindAttachedPolicy)) {
				attached++
			}
			if isLookupKey(k) {
				lookup++
			}
		}
	}
	if attached < 60 {
		t.Fatalf("only %d attached-policy records written", attached)
	}
	if lookup < 190 {
		t.Fatalf("only %d lookup records written", lookup)
	}
	if filter < 160 {
		t.Fatalf("only %d filter records written", filter)
	}
	check := func(when string) {
		t.Helper()
		s := open(t)
		defer s.Close()
		for acct, keys := range want {
			if got := IndexKeys(t, s, acct); !slices.Equal(got, keys) {
				t.Errorf("%q after %s: %d index records, want %d; missing %q, left over %q",
					acct, when, len(got), len(keys), first(diff(keys, got)), first(diff(got, keys)))
			}
			CheckIndexes(t, s, acct)
		}
	}

	// exec reports the rows the statements changed: the index records and
	// the rows of migrations 40 on must really go.
	total := len(want[acctA]) + len(want[acctB]) + len(want[global])
	if n := exec(t, DowngradeIndexSQL); n != int64(total+len(migrationsSince(IndexMigrationVersion))) {
		t.Fatalf("downgrade changed %d rows, want %d", n, total+len(migrationsSince(IndexMigrationVersion)))
	}
	check("the migrations from scratch")

	// A database that has the index records of migration 40 but not the
	// attached-policy ones: migration 50 builds those (the later ones run
	// again harmlessly).
	if n := exec(t, DowngradeAttachedPolicySQL); n != int64(attached+len(migrationsSince(AttachedPolicyMigrationVersion))) {
		t.Fatalf("downgrade to before attached-policy records changed %d rows, want %d", n,
			attached+len(migrationsSince(AttachedPolicyMigrationVersion)))
	}
	check("migration 50")

	// One that has all but the lookup records and migration 60, though a
	// later one ran (a database of a Warden built before 60 was merged, with
	// 70): migration 60 alone builds those.
	if n := exec(t, DowngradeLookupSQL); n != int64(lookup+1) {
		t.Fatalf("downgrade to before lookup records changed %d rows, want %d", n, lookup+1)
	}
	check("migration 60")

	// One that has all but the filter records and migration 80: migration
	// 80 builds those.
	if n := exec(t, DowngradeFilterSQL); n != int64(filter+1) {
		t.Fatalf("downgrade to before filter records changed %d rows, want %d", n, filter+1)
	}
	check("migration 80")
}

// DowngradeAttachedPolicySQL turns a database into one written by a Warden
// before the attached-policy index records: none of them, no migration
// AttachedPolicyMigrationVersion or later.
var DowngradeAttachedPolicySQL = []string{
	`DELETE FROM records WHERE kind IN ('attachedpolicy', 'attachedpolicypath')`,
	fmt.Sprintf(`DELETE FROM schema_migrations WHERE version >= %d`, AttachedPolicyMigrationVersion),
}

// testGetMany checks that GetMany returns the records asked for in the
// order asked, leaves out missing keys, stays within the kind and account,
// and takes more keys than a statement has parameters.
func testGetMany(t *testing.T, s warden.Store) {
	ctx := t.Context()
	var rs []warden.Record
	for i := range 1500 {
		rs = append(rs, rec(warden.KindUser, acctA, fmt.Sprintf("u%04d", i)))
	}
	insert(t, s, rs...)
	insert(t, s, rec(warden.KindGroup, acctA, "g"), rec(warden.KindUser, acctB, "u0001"))
	get := func(kind warden.Kind, account string, keys ...string) []warden.Record {
		t.Helper()
		var got []warden.Record
		view(t, s, func(tx warden.Tx) (err error) {
			got, err = tx.GetMany(ctx, kind, account, keys)
			return err
		})
		return got
	}
	keysOf := func(rs []warden.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return out
	}
	got := get(warden.KindUser, acctA, "u0007", "nobody", "u0001", "g", "u0003")
	if want := []string{"u0007", "u0001", "u0003"}; !slices.Equal(keysOf(got), want) {
		t.Errorf("GetMany = %q, want %q", keysOf(got), want)
	}
	for _, r := range got {
		wantRecord(t, r, rec(warden.KindUser, acctA, r.Key))
	}
	if got := get(warden.KindUser, acctB, "u0001", "u0002"); !slices.Equal(keysOf(got), []string{"u0001"}) {
		t.Errorf("GetMany in %s = %q", acctB, keysOf(got))
	}
	if got := get(warden.KindUser, acctA); len(got) != 0 {
		t.Errorf("GetMany of no keys = %q", keysOf(got))
	}
	all := keysOf(rs)
	slices.Reverse(all)
	if got := get(warden.KindUser, acctA, all...); !slices.Equal(keysOf(got), all) {
		t.Errorf("GetMany of %d keys returned %d", len(all), len(got))
	}
	// In an Update it sees the transaction's own writes.
	update(t, s, func(tx warden.Tx) error {
		if err := tx.Insert(ctx, rec(warden.KindUser, acctA, "new")); err != nil {
			return err
		}
		got, err := tx.GetMany(ctx, warden.KindUser, acctA, []string{"new", "u0000"})
		if err != nil {
			return err
		}
		if !slices.Equal(keysOf(got), []string{"new", "u0000"}) {
			t.Errorf("GetMany in the writing transaction = %q", keysOf(got))
		}
		return nil
	})
}

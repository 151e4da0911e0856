package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// DelegationFixture stores, through warden.Insert, delegation requests made
// by account requestor: one nobody has claimed, one aimed at owner but not
// claimed, one claimed by a user of owner and one by a role's session, with
// workflow IDs that have spaces, a percent sign, non-ASCII letters, invalid
// UTF-8 and 2 KiB, and expiries in UTC, with a fraction of a second and in
// another zone. It returns the keys of their index records, which are
// global (account ""), as "<kind>|<key>", sorted.
func DelegationFixture(ctx context.Context, tx warden.Tx, requestor, owner string) ([]string, error) {
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	userARN := "arn:aws:iam::" + owner + ":user/ops/alice"
	sessionARN := "arn:aws:sts::" + owner + ":assumed-role/Approver/s@x.example"
	long := strings.Repeat("w f%", 512)
	requests := []*warden.DelegationRequest{
		{ID: requestor + "-dr1", RequestorAccount: requestor, WorkflowID: "deploy 1", Expires: base},
		{ID: requestor + "-dr2", RequestorAccount: requestor, WorkflowID: "100% sûr", OwnerAccount: owner,
			Expires: base.Add(1500 * time.Millisecond)},
		{ID: requestor + "-dr3", RequestorAccount: requestor, WorkflowID: "\xff", OwnerAccount: owner, OwnerARN: userARN,
			Expires: base.Add(-48 * time.Hour).In(time.FixedZone("", 5*3600+1800))},
		{ID: requestor + "-dr4", RequestorAccount: requestor, WorkflowID: long, OwnerAccount: owner, OwnerARN: sessionARN,
			Expires: base.Add(time.Hour)},
	}
	for _, d := range requests {
		if err := warden.Insert(ctx, tx, d); err != nil {
			return nil, err
		}
	}
	workflow := func(d *warden.DelegationRequest, hash string) string {
		return "delegationworkflow|" + requestor + " " + hash + " " + d.ID
	}
	want := []string{
		workflow(requests[0], "c263158fefdd304ee6fb29bf0aa5b8a5301b34f0d58f28ad5b4f473bd2a84e89"),
		workflow(requests[1], warden.IndexHash("100% sûr")),
		// Stored as JSON, invalid UTF-8 is U+FFFD.
		workflow(requests[2], "83d544ccc223c057d2bf80d3f2a32982c32c3c0db8e2674820da5064783fb097"),
		workflow(requests[3], warden.IndexHash(long)),
		"delegationexpiry|2026-05-01T12:00:00 " + requests[0].ID,
		"delegationexpiry|2026-05-01T12:00:01 " + requests[1].ID,
		"delegationexpiry|2026-04-29T17:30:00 " + requests[2].ID,
		"delegationexpiry|2026-05-01T13:00:00 " + requests[3].ID,
		"delegationowner|" + owner + " any " + requests[2].ID,
		"delegationowner|" + owner + " " + userARN + " " + requests[2].ID,
		"delegationowner|" + owner + " any " + requests[3].ID,
		"delegationowner|" + owner + " " + sessionARN + " " + requests[3].ID,
	}
	slices.Sort(want)
	return want, nil
}

// testLookupIndexes checks that the lookup index records follow their
// delegation requests and service-specific credentials through the changes
// iam makes: a claim, a new state's expiry, a workflow's request deleted, a
// credential deleted, and those of virtual MFA devices through enabling,
// deactivating and deleting.
func testLookupIndexes(t *testing.T, s warden.Store) {
	ctx := t.Context()
	var want []string
	update(t, s, func(tx warden.Tx) (err error) {
		if _, err = IndexFixture(ctx, tx, acctA); err != nil {
			return err
		}
		want, err = DelegationFixture(ctx, tx, acctA, acctB)
		return err
	})
	update(t, s, func(tx warden.Tx) error { _, err := DelegationFixture(ctx, tx, acctB, acctA); return err })
	got := IndexKeys(t, s, global)
	for _, k := range want {
		if _, ok := slices.BinarySearch(got, k); !ok {
			t.Errorf("global index record %q missing", k)
		}
	}
	CheckIndexes(t, s, global)
	CheckIndexes(t, s, acctA)

	has := func(account string, keys ...string) {
		t.Helper()
		got := IndexKeys(t, s, account)
		for _, k := range keys {
			if _, ok := slices.BinarySearch(got, k); !ok {
				t.Errorf("index record %q missing", k)
			}
		}
	}
	hasNot := func(account string, keys ...string) {
		t.Helper()
		got := IndexKeys(t, s, account)
		for _, k := range keys {
			if _, ok := slices.BinarySearch(got, k); ok {
				t.Errorf("index record %q left over", k)
			}
		}
	}
	change := func(id string, fn func(*warden.DelegationRequest)) {
		t.Helper()
		update(t, s, func(tx warden.Tx) error {
			d, err := warden.Load[warden.DelegationRequest](ctx, tx, "", id)
			if err != nil {
				return err
			}
			fn(d)
			return warden.Save(ctx, tx, d)
		})
	}

	// A claim adds the owner's records, a new expiry moves the expiry one.
	bob := "arn:aws:iam::" + acctB + ":user/bob"
	change(acctA+"-dr2", func(d *warden.DelegationRequest) {
		d.OwnerARN = bob
		d.Expires = time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC)
	})
	has(global, "delegationowner|"+acctB+" any "+acctA+"-dr2", "delegationowner|"+acctB+" "+bob+" "+acctA+"-dr2",
		"delegationexpiry|2026-05-08T00:00:00 "+acctA+"-dr2")
	hasNot(global, "delegationexpiry|2026-05-01T12:00:01 "+acctA+"-dr2")
	CheckIndexes(t, s, global)

	// Removing a request frees its workflow ID and removes its records.
	update(t, s, func(tx warden.Tx) error {
		return warden.Remove(ctx, tx, &warden.DelegationRequest{ID: acctA + "-dr3"})
	})
	got = IndexKeys(t, s, global)
	for _, k := range got {
		if strings.HasSuffix(k, " "+acctA+"-dr3") {
			t.Errorf("index record %q left over after Remove", k)
		}
	}
	CheckIndexes(t, s, global)

	// A credential's record goes with it; the other account's stay.
	update(t, s, func(tx warden.Tx) error {
		return warden.Remove(ctx, tx, &warden.ServiceCredential{Account: acctA, Owner: "AIDA1", ID: "ACCA2"})
	})
	hasNot(acctA, "servicecreduser|codecommit.amazonaws.com Alice+1-at-"+acctA+" AIDA1/ACCA2",
		"servicecredservice|codecommit.amazonaws.com AIDA1/ACCA2")
	has(acctA, "servicecreduser|codecommit.amazonaws.com Alice-at-"+acctA+" AIDA1/ACCA1",
		"servicecredservice|codecommit.amazonaws.com AIDA1/ACCA1")
	CheckIndexes(t, s, acctA)

	// A device enabled moves to Assigned and one deactivated to
	// Unassigned; a device removed has no record left.
	saveDevice := func(key string, fn func(*warden.MFADevice)) {
		t.Helper()
		update(t, s, func(tx warden.Tx) error {
			d, err := warden.Load[warden.MFADevice](ctx, tx, acctA, key)
			if err != nil {
				return err
			}
			fn(d)
			return warden.Save(ctx, tx, d)
		})
	}
	saveDevice("/spare", func(d *warden.MFADevice) { d.UserName, d.EnableDate = "bob", time.Now().UTC() })
	saveDevice("/alice-phone", func(d *warden.MFADevice) { d.UserName, d.EnableDate = "", time.Time{} })
	has(acctA, "mfaassignment|Assigned /spare", "mfaassignment|Unassigned /alice-phone", "mfaassignment|Assigned /ops/root")
	hasNot(acctA, "mfaassignment|Unassigned /spare", "mfaassignment|Assigned /alice-phone")
	update(t, s, func(tx warden.Tx) error {
		return warden.Remove(ctx, tx, &warden.MFADevice{Account: acctA, Path: "/ops/", Name: "Root"})
	})
	hasNot(acctA, "mfaassignment|Assigned /ops/root")
	CheckIndexes(t, s, acctA)
	CheckIndexes(t, s, acctB)
	if got, _ := DelegationFixture(ctx, nopTx{}, acctB, acctA); len(got) != 12 {
		t.Errorf("fixture of %s has %d records, want 12", acctB, len(got))
	} else {
		has(global, got...)
	}
}

// LookupMigrationVersion is the migration that added the lookup index
// records (user ID, service credential, signing certificate fingerprint,
// delegation requests and notices).
const LookupMigrationVersion = 60

// DowngradeLookupSQL turns a database into one written by a Warden before
// the lookup index records: none of them, and no migration
// LookupMigrationVersion, though the later ones ran (stores apply every
// migration a database lacks, not only those after its newest).
var DowngradeLookupSQL = []string{
	`DELETE FROM records WHERE kind IN ('userid', 'servicecreduser', 'signingcertfp', 'delegationowner', 'delegationworkflow',
		'delegationexpiry', 'noticetopic')`,
	fmt.Sprintf(`DELETE FROM schema_migrations WHERE version = %d`, LookupMigrationVersion),
}

// isLookupKey reports whether an "<kind>|<key>" of IndexKeys is one of a
// lookup index record.
func isLookupKey(k string) bool {
	kind, _, _ := strings.Cut(k, "|")
	switch warden.Kind(kind) {
	case warden.KindUserID, warden.KindServiceCredUser, warden.KindSigningCertFP, warden.KindDelegationOwner, warden.KindDelegationWorkflow,
		warden.KindDelegationExpiry, warden.KindNoticeTopic:
		return true
	}
	return false
}

// FilterMigrationVersion is the migration that added the index records of
// listing filters (servicecredservice, mfaassignment).
const FilterMigrationVersion = 80

// DowngradeFilterSQL turns a database into one written by a Warden before
// the filter index records: none of them, and no migration
// FilterMigrationVersion.
var DowngradeFilterSQL = []string{
	`DELETE FROM records WHERE kind IN ('servicecredservice', 'mfaassignment')`,
	fmt.Sprintf(`DELETE FROM schema_migrations WHERE version = %d`, FilterMigrationVersion),
}

// isFilterKey reports whether an "<kind>|<key>" of IndexKeys is one of a
// filter index record.
func isFilterKey(k string) bool {
	kind, _, _ := strings.Cut(k, "|")
	return warden.Kind(kind) == warden.KindServiceCredService || warden.Kind(kind) == warden.KindMFAAssignment
}

package iam_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/iam"
)

const (
	codeCommit   = "codecommit.amazonaws.com"
	bedrock      = "bedrock.amazonaws.com"
	otherAccount = "210987654321"
	busyTopic    = "arn:aws:sns:us-east-1:" + listAccount + ":busy"
	lookupTmpl   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}/*"}}`
)

// seedLookups stores directly, in one transaction, n users with a
// CodeCommit credential each (every fifth a Keyspaces one too), n virtual
// MFA devices (each enabled for its user but three: the first, the middle
// and the last one) and n
// delegation requests: every other one claimed by the root user of
// listAccount, the others made by another account and not claimed, and n
// delegation notices waiting on a topic of listAccount. Before
// the lookup indexes, checking a credential, listing the requests and
// creating one read all of them.
func seedLookups(tb testing.TB, store warden.Store, n int, expires time.Time) {
	tb.Helper()
	ctx := context.Background()
	err := store.Update(ctx, func(tx warden.Tx) error {
		for i := range n {
			u := &warden.User{Account: listAccount, ID: fmt.Sprintf("AIDA%016d", i), Name: fmt.Sprintf("user-%05d", i), Path: "/"}
			dev := &warden.MFADevice{Account: listAccount, Path: "/", Name: fmt.Sprintf("dev-%05d", i)}
			dev.SerialNumber = warden.MFASerialNumber(listAccount, dev.Path, dev.Name)
			if i != 0 && i != n/2 && i != n-1 {
				dev.UserName, dev.EnableDate, u.MFADevices = u.Name, expires, []string{dev.SerialNumber}
			}
			if err := warden.Insert(ctx, tx, u); err != nil {
				return err
			}
			if err := warden.Insert(ctx, tx, dev); err != nil {
				return err
			}
			services := []string{codeCommit}
			if i%5 == 0 {
				services = append(services, "cassandra.amazonaws.com")
			}
			for j, svc := range services {
				c := &warden.ServiceCredential{Account: listAccount, ID: fmt.Sprintf("ACCA%016d%d", i, j), Owner: u.ID,
					ServiceName: svc, ServiceUser: u.Name + "-at-" + listAccount, Secret: []byte("not sealed"),
					Status: warden.KeyActive}
				if err := warden.Insert(ctx, tx, c); err != nil {
					return err
				}
			}
			d := &warden.DelegationRequest{ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), RequestorAccount: otherAccount,
				WorkflowID: fmt.Sprintf("seeded %d", i), State: warden.DelegationUnassigned, Expires: expires}
			if i%2 == 0 {
				d.OwnerAccount, d.OwnerARN, d.State = listAccount, "arn:aws:iam::"+listAccount+":root", warden.DelegationAssigned
			}
			if err := warden.Insert(ctx, tx, d); err != nil {
				return err
			}
			n := &warden.DelegationNotice{Account: listAccount, ID: fmt.Sprintf("notice-%05d", i), Topic: busyTopic,
				Time: expires.Add(time.Duration(i)), Subject: "waiting", Message: []byte("not sealed")}
			if err := warden.Insert(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// seedFew gives three of the n seeded users (the first, the middle and the
// last) a Bedrock API key each: a service few credentials are for.
func seedFew(tb testing.TB, store warden.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	err := store.Update(ctx, func(tx warden.Tx) error {
		for _, i := range []int{0, n / 2, n - 1} {
			c := &warden.ServiceCredential{Account: listAccount, ID: fmt.Sprintf("ACCA%016d9", i), Owner: fmt.Sprintf("AIDA%016d", i),
				ServiceName: bedrock, ServiceUser: fmt.Sprintf("BedrockAPIKey-%04d-at-%s", i, listAccount), Secret: []byte("not sealed"),
				Status: warden.KeyActive}
			if err := warden.Insert(ctx, tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// lookupService is a counting service with n seeded users, credentials and
// delegation requests (and seedFew's), a credential of user "coder" made
// through the API (its password returned) and a policy template for
// delegation requests.
func lookupService(tb testing.TB, n int) (svc *iam.Service, store warden.Store, root *warden.Principal, reads *atomic.Int64, password string) {
	tb.Helper()
	svc, store, root, reads = newCountingService(tb)
	seedLookups(tb, store, n, time.Now().Add(24*time.Hour))
	seedFew(tb, store, n)
	invoke(tb, svc, root, "CreateUser", url.Values{"UserName": {"coder"}})
	res, err := svc.Invoke(context.Background(), root, "CreateServiceSpecificCredential",
		url.Values{"UserName": {"coder"}, "ServiceName": {codeCommit}})
	if err != nil {
		tb.Fatal(err)
	}
	raw, _ := xml.Marshal(res)
	var out struct {
		Password string `xml:"ServiceSpecificCredential>ServicePassword"`
	}
	if err := xml.Unmarshal(raw, &out); err != nil || out.Password == "" {
		tb.Fatalf("no password in %s: %v", raw, err)
	}
	invoke(tb, svc, root, "CreatePolicy", url.Values{"PolicyName": {"tmpl"}, "PolicyDocument": {lookupTmpl}})
	invoke(tb, svc, root, "CreateRole", url.Values{"RoleName": {"reader"}, "AssumeRolePolicyDocument": {testTrust}})
	invoke(tb, svc, root, "AttachRolePolicy", url.Values{"RoleName": {"reader"}, "PolicyArn": {"arn:aws:iam::" + listAccount + ":policy/tmpl"}})
	return svc, store, root, reads, out.Password
}

func delegationForm(workflow string) url.Values {
	return url.Values{"Description": {"d"}, "NotificationChannel": {"arn:aws:sns:us-east-1:" + listAccount + ":t"},
		"RequestorWorkflowId": {workflow}, "SessionDuration": {"900"},
		"Permissions.PolicyTemplateArn":                   {"arn:aws:iam::" + listAccount + ":policy/tmpl"},
		"Permissions.Parameters.member.1.Name":            {"Bucket"},
		"Permissions.Parameters.member.1.Type":            {"string"},
		"Permissions.Parameters.member.1.Values.member.1": {"logs"}}
}

// lookupRequests are the requests BenchmarkLookups and TestLookupReads
// measure: each returns a function making one request.
func lookupRequests(tb testing.TB, svc *iam.Service, root *warden.Principal, password string) map[string]func() error {
	ctx := context.Background()
	secondPage := func(action string, form url.Values, field string) url.Values {
		res, err := svc.Invoke(ctx, root, action, form)
		if err != nil {
			tb.Fatal(err)
		}
		raw, _ := xml.Marshal(res)
		var v struct {
			Marker string `xml:"Marker"`
		}
		_ = xml.Unmarshal(raw, &v)
		if v.Marker == "" {
			tb.Fatalf("%s: one page only", action)
		}
		next := url.Values{"Marker": {v.Marker}}
		for k, vs := range form {
			next[k] = vs
		}
		return next
	}
	listReqs := secondPage("ListDelegationRequests", url.Values{"MaxItems": {"20"}}, "DelegationRequests")
	listCreds := secondPage("ListServiceSpecificCredentials", url.Values{"AllUsers": {"true"}, "MaxItems": {"20"}}, "")
	listMFA := secondPage("ListVirtualMFADevices", url.Values{"AssignmentStatus": {"Assigned"}, "MaxItems": {"20"}}, "")
	// Few match: three credentials, three devices; pages of one, the
	// second the middle one.
	listBedrock := secondPage("ListServiceSpecificCredentials", url.Values{"AllUsers": {"true"}, "ServiceName": {bedrock},
		"MaxItems": {"1"}}, "")
	listUnassigned := secondPage("ListVirtualMFADevices", url.Values{"AssignmentStatus": {"Unassigned"}, "MaxItems": {"1"}}, "")
	created := 0
	return map[string]func() error{
		"VerifyServiceCredential": func() error {
			_, err := svc.VerifyServiceCredential(ctx, listAccount, codeCommit, "coder-at-"+listAccount, password)
			return err
		},
		"ListDelegationRequests": func() error {
			_, err := svc.Invoke(ctx, root, "ListDelegationRequests", listReqs)
			return err
		},
		"CreateDelegationRequest": func() error {
			created++
			_, err := svc.Invoke(ctx, root, "CreateDelegationRequest", delegationForm(fmt.Sprintf("bench %d", created)))
			return err
		},
		"ListServiceSpecificCredentialsAllUsers": func() error {
			_, err := svc.Invoke(ctx, root, "ListServiceSpecificCredentials", listCreds)
			return err
		},
		"ListServiceSpecificCredentialsAllUsersBedrock": func() error {
			_, err := svc.Invoke(ctx, root, "ListServiceSpecificCredentials", listBedrock)
			return err
		},
		"ListVirtualMFADevicesAssigned": func() error {
			_, err := svc.Invoke(ctx, root, "ListVirtualMFADevices", listMFA)
			return err
		},
		"ListVirtualMFADevicesUnassigned": func() error {
			_, err := svc.Invoke(ctx, root, "ListVirtualMFADevices", listUnassigned)
			return err
		},
		// Another topic's notices wait.
		"ReceiveDelegationNotices": func() error {
			_, err := svc.ReceiveDelegationNotices(ctx, root, "arn:aws:sns:us-east-1:"+listAccount+":quiet")
			return err
		},
		// The report on a policy attached to one role.
		"GenerateServiceLastAccessedDetailsPolicy": func() error {
			_, err := svc.Invoke(ctx, root, "GenerateServiceLastAccessedDetails",
				url.Values{"Arn": {"arn:aws:iam::" + listAccount + ":policy/tmpl"}})
			return err
		},
	}
}

// BenchmarkLookups is each request that used to read every record of a
// kind, in accounts of 100 and 2,000 users (a credential each) and
// delegation requests: checking a service-specific credential
// (GET /warden/service-auth), the second page of 20 of ListDelegationRequests
// and of ListServiceSpecificCredentials with AllUsers and of
// ListVirtualMFADevices (Assigned), the second page of 1 of those where few
// match (AllUsers with the ServiceName of three credentials, Unassigned
// among three unassigned devices), CreateDelegationRequest (its workflow ID
// check and expired-request sweep), GenerateServiceLastAccessedDetails
// for a policy attached to one role and ReceiveDelegationNotices of a topic
// while another's notices wait.
// records/op counts the records read from the store.
func BenchmarkLookups(b *testing.B) {
	for _, name := range []string{"VerifyServiceCredential", "ListDelegationRequests", "CreateDelegationRequest",
		"ListServiceSpecificCredentialsAllUsers", "ListServiceSpecificCredentialsAllUsersBedrock", "ListVirtualMFADevicesAssigned",
		"ListVirtualMFADevicesUnassigned", "GenerateServiceLastAccessedDetailsPolicy", "ReceiveDelegationNotices"} {
		for _, n := range []int{100, 2000} {
			b.Run(fmt.Sprintf("%s/records=%d", name, n), func(b *testing.B) {
				svc, _, root, reads, password := lookupService(b, n)
				do := lookupRequests(b, svc, root, password)[name]
				if err := do(); err != nil { // and a first check records the last use
					b.Fatal(err)
				}
				b.ReportAllocs()
				reads.Store(0)
				for b.Loop() {
					if err := do(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(reads.Load())/float64(b.N), "records/op")
			})
		}
	}
}

// TestLookupReads: each of those requests reads as many records in an
// account of 1,500 as in one of 100.
func TestLookupReads(t *testing.T) {
	counts := map[string][]int64{}
	for _, n := range []int{100, 1500} {
		svc, _, root, reads, password := lookupService(t, n)
		for name, do := range lookupRequests(t, svc, root, password) {
			if err := do(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			reads.Store(0)
			if err := do(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			counts[name] = append(counts[name], reads.Load())
		}
	}
	for name, c := range counts {
		if c[0] != c[1] || c[0] > 100 {
			t.Errorf("%s read %d records among 100 and %d among 1,500, want the same few", name, c[0], c[1])
		}
	}
}

// TestServiceCredentialsAllUsers pages through every user's credentials
// with AllUsers: in key order, with their owners' names, filtered by
// service, resuming after a deleted credential at its place.
func TestServiceCredentialsAllUsers(t *testing.T) {
	ctx := context.Background()
	svc, store, root := newListService(t)
	seedLookups(t, store, 30, time.Now().Add(time.Hour))
	type cred struct {
		User    string `xml:"UserName"`
		Service string `xml:"ServiceName"`
		ID      string `xml:"ServiceSpecificCredentialId"`
	}
	page := func(form url.Values) ([]cred, string) {
		t.Helper()
		res, err := svc.Invoke(ctx, root, "ListServiceSpecificCredentials", form)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := xml.Marshal(res)
		var v struct {
			Creds []cred `xml:"ServiceSpecificCredentials>member"`
		}
		var m struct {
			Marker string `xml:"Marker"`
		}
		_ = xml.Unmarshal(raw, &m)
		if err := xml.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return v.Creds, m.Marker
	}
	all := func(service string, size int) []cred {
		var out []cred
		marker := ""
		for range 100 {
			form := url.Values{"AllUsers": {"true"}, "MaxItems": {fmt.Sprint(size)}}
			if service != "" {
				form.Set("ServiceName", service)
			}
			if marker != "" {
				form.Set("Marker", marker)
			}
			got, m := page(form)
			if len(got) > size || (m != "" && len(got) != size) {
				t.Fatalf("page of %d with marker %q, MaxItems %d", len(got), m, size)
			}
			out = append(out, got...)
			if marker = m; m == "" {
				return out
			}
		}
		t.Fatal("the listing does not end")
		return nil
	}
	var want, wantCC []cred
	for i := range 30 {
		want = append(want, cred{fmt.Sprintf("user-%05d", i), codeCommit, fmt.Sprintf("ACCA%016d0", i)})
		wantCC = append(wantCC, want[len(want)-1])
		if i%5 == 0 {
			want = append(want, cred{fmt.Sprintf("user-%05d", i), "cassandra.amazonaws.com", fmt.Sprintf("ACCA%016d1", i)})
		}
	}
	for _, size := range []int{1, 7, 100} {
		if got := all("", size); !slices.Equal(got, want) {
			t.Errorf("AllUsers in pages of %d = %v, want %v", size, got, want)
		}
	}
	if got := all(codeCommit, 4); !slices.Equal(got, wantCC) {
		t.Errorf("AllUsers of CodeCommit = %v, want %v", got, wantCC)
	}
	// Every fifth user has a Keyspaces credential; nobody a Bedrock key.
	var wantKS []cred
	for _, c := range want {
		if c.Service == "cassandra.amazonaws.com" {
			wantKS = append(wantKS, c)
		}
	}
	for _, size := range []int{1, 2, 100} {
		if got := all("cassandra.amazonaws.com", size); !slices.Equal(got, wantKS) {
			t.Errorf("AllUsers of Keyspaces in pages of %d = %v, want %v", size, got, wantKS)
		}
	}
	if got := all(bedrock, 10); len(got) != 0 {
		t.Errorf("AllUsers of Bedrock = %v, want none", got)
	}

	// The credential a marker names is deleted: the next page starts where
	// it was. A marker that is not base64 is Invalid Marker.
	_, marker := page(url.Values{"AllUsers": {"true"}, "MaxItems": {"3"}})
	invoke(t, svc, root, "DeleteServiceSpecificCredential", url.Values{"UserName": {want[3].User}, "ServiceSpecificCredentialId": {want[3].ID}})
	if got, _ := page(url.Values{"AllUsers": {"true"}, "MaxItems": {"2"}, "Marker": {marker}}); !slices.Equal(got, want[4:6]) {
		t.Errorf("after the marker's credential went: %v, want %v", got, want[4:6])
	}
	_, err := svc.Invoke(ctx, root, "ListServiceSpecificCredentials", url.Values{"AllUsers": {"true"}, "Marker": {"!"}})
	var we *warden.Error
	if !errors.As(err, &we) || we.Code != warden.CodeValidationError {
		t.Errorf("bad marker: %v, want ValidationError", err)
	}
}

// TestDelegationLookups: the workflow ID check finds a request however it
// is spelled (spaces, percent signs), ListDelegationRequests with an
// OwnerId that has a space lists nothing (it names no owner), and creating a request sweeps up to eight
// requests that expired more than 30 days before, oldest first.
func TestDelegationLookups(t *testing.T) {
	ctx := context.Background()
	svc, store, root := newListService(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return now }
	seedLookups(t, store, 20, now.Add(-40*24*time.Hour))
	invoke(t, svc, root, "CreatePolicy", url.Values{"PolicyName": {"tmpl"}, "PolicyDocument": {lookupTmpl}})

	stored := func() int {
		t.Helper()
		var n int
		err := store.View(ctx, func(tx warden.Tx) (err error) {
			n, err = tx.Count(ctx, warden.KindDelegationRequest, "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, wf := range []string{"a b  c", "100% %20", "a b  c "} {
		invoke(t, svc, root, "CreateDelegationRequest", delegationForm(wf))
		if got, want := stored(), 20-8*(i+1)+(i+1); i < 2 && got != want {
			t.Errorf("after creating %d: %d requests stored, want %d (8 swept each time)", i+1, got, want)
		}
	}
	// 20 seeded, 8 + 8 + 4 swept, 3 made.
	if got := stored(); got != 3 {
		t.Errorf("%d requests stored, want the 3 made", got)
	}
	for _, wf := range []string{"a b  c", "100% %20"} {
		_, err := svc.Invoke(ctx, root, "CreateDelegationRequest", delegationForm(wf))
		var we *warden.Error
		if !errors.As(err, &we) || we.Code != warden.CodeEntityAlreadyExists {
			t.Errorf("workflow %q again: %v, want EntityAlreadyExists", wf, err)
		}
	}
	res, err := svc.Invoke(ctx, root, "ListDelegationRequests", url.Values{"OwnerId": {root.ARN + " any"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := xml.Marshal(res)
	var v struct {
		IDs []string `xml:"DelegationRequests>member>DelegationRequestId"`
	}
	if err := xml.Unmarshal(raw, &v); err != nil || len(v.IDs) != 0 {
		t.Errorf("OwnerId with a space lists %q, %v; want none", v.IDs, err)
	}
}

// TestVirtualMFADevicesByStatus pages through ListVirtualMFADevices with
// each AssignmentStatus: in key order, the devices of that status only,
// with the users of those enabled, and resuming at its place after the
// device a marker names is deactivated or deleted.
func TestVirtualMFADevicesByStatus(t *testing.T) {
	ctx := context.Background()
	svc, store, root := newListService(t)
	const n = 30
	seedLookups(t, store, n, time.Now().Add(time.Hour))
	type device struct {
		Serial string `xml:"SerialNumber"`
		User   string `xml:"User>UserName"`
	}
	page := func(form url.Values) ([]device, string) {
		t.Helper()
		res, err := svc.Invoke(ctx, root, "ListVirtualMFADevices", form)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := xml.Marshal(res)
		var v struct {
			Devices []device `xml:"VirtualMFADevices>member"`
			Marker  string   `xml:"Marker"`
		}
		if err := xml.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return v.Devices, v.Marker
	}
	all := func(status string, size int) []device {
		t.Helper()
		var out []device
		marker := ""
		for range 100 {
			form := url.Values{"MaxItems": {fmt.Sprint(size)}}
			if status != "" {
				form.Set("AssignmentStatus", status)
			}
			if marker != "" {
				form.Set("Marker", marker)
			}
			got, m := page(form)
			if len(got) > size || (m != "" && len(got) != size) {
				t.Fatalf("page of %d with marker %q, MaxItems %d", len(got), m, size)
			}
			out = append(out, got...)
			if marker = m; m == "" {
				return out
			}
		}
		t.Fatal("the listing does not end")
		return nil
	}
	serial := func(i int) string { return warden.MFASerialNumber(listAccount, "/", fmt.Sprintf("dev-%05d", i)) }
	var every, assigned, unassigned []device
	for i := range n {
		if i == 0 || i == n/2 || i == n-1 {
			d := device{Serial: serial(i)}
			every, unassigned = append(every, d), append(unassigned, d)
			continue
		}
		d := device{Serial: serial(i), User: fmt.Sprintf("user-%05d", i)}
		every, assigned = append(every, d), append(assigned, d)
	}
	for _, size := range []int{1, 4, 100} {
		for status, want := range map[string][]device{"": every, "Any": every, "Assigned": assigned, "Unassigned": unassigned} {
			if got := all(status, size); !slices.Equal(got, want) {
				t.Errorf("%q in pages of %d = %v, want %v", status, size, got, want)
			}
		}
	}

	// The device the marker names is deactivated (or deleted): the next
	// page of its old status starts after its place.
	_, marker := page(url.Values{"AssignmentStatus": {"Assigned"}, "MaxItems": {"3"}})
	if got, _ := page(url.Values{"AssignmentStatus": {"Assigned"}, "MaxItems": {"1"}, "Marker": {marker}}); !slices.Equal(got, assigned[3:4]) {
		t.Fatalf("the page after the marker starts with %v, want the fourth assigned device %v", got, assigned[3:4])
	}
	for _, forged := range []string{base64.RawURLEncoding.EncodeToString([]byte(warden.MFADeviceKey("/", "dev-00004"))), "not-a-marker", marker[:len(marker)-2]} {
		if _, err := svc.Invoke(ctx, root, "ListVirtualMFADevices", url.Values{"Marker": {forged}}); err == nil ||
			!strings.Contains(err.Error(), "Invalid Marker.") {
			t.Errorf("forged marker %q: %v, want ValidationError Invalid Marker.", forged, err)
		}
	}
	err := store.Update(ctx, func(tx warden.Tx) error {
		d, err := warden.Load[warden.MFADevice](ctx, tx, listAccount, warden.MFADeviceKey("/", "dev-00004"))
		if err != nil {
			return err
		}
		d.UserName, d.EnableDate = "", time.Time{}
		return warden.Save(ctx, tx, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := page(url.Values{"AssignmentStatus": {"Assigned"}, "MaxItems": {"2"}, "Marker": {marker}}); !slices.Equal(got, assigned[4:6]) {
		t.Errorf("after the marker's device was deactivated: %v, want %v", got, assigned[4:6])
	}
	if got, _ := page(url.Values{"AssignmentStatus": {"Unassigned"}, "MaxItems": {"2"}, "Marker": {marker}}); !slices.Equal(got,
		[]device{{Serial: serial(4)}, unassigned[1]}) {
		t.Errorf("Unassigned from the marker: %v, want the deactivated one, then %v", got, unassigned[1])
	}
	invoke(t, svc, root, "DeleteVirtualMFADevice", url.Values{"SerialNumber": {serial(4)}})
	if got, _ := page(url.Values{"AssignmentStatus": {"Unassigned"}, "MaxItems": {"1"}, "Marker": {marker}}); !slices.Equal(got, unassigned[1:2]) {
		t.Errorf("after the marker's device was deleted: %v, want %v", got, unassigned[1:2])
	}
}

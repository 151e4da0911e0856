package console

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

type credentialReportState struct {
	State       string
	Description string
}

type credentialReportContent struct {
	Content       string
	ReportFormat  string
	GeneratedTime time.Time
}

// TestCredentialReport drives the credential report through console
// sign-ins (password_last_used), keys, MFA and a password policy, and checks
// every column of every row, the generation states, the four-hour reuse and
// the errors.
func TestCredentialReport(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, Config{})
	generate := func() credentialReportState { t.Helper(); return generateReport(t, s) }
	get := func() ([][]string, credentialReportContent, error) {
		t.Helper()
		res, err := s.iam.Invoke(ctx, &s.root, "GetCredentialReport", form())
		if err != nil {
			return nil, credentialReportContent{}, err
		}
		var out credentialReportContent
		s.decode(res, &out)
		raw, err := base64.StdEncoding.DecodeString(out.Content)
		if err != nil {
			t.Fatalf("Content is not base64: %v", err)
		}
		rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
		if err != nil {
			t.Fatalf("Content is not CSV: %v\n%s", err, raw)
		}
		return rows, out, nil
	}

	if _, _, err := get(); warden.ErrorCode(err) != "ReportNotPresent" {
		t.Fatalf("GetCredentialReport before any report: %v, want ReportNotPresent", err)
	}

	created := s.clock.Now()
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }
	s.user("alice", userPass, "")
	s.user("bob", "", "")
	s.user("carol", userPass, "")
	s.enableMFA("carol")
	s.as(&s.root, "CreateAccessKey", "UserName", "bob")
	s.clock.Advance(time.Minute)
	s.as(&s.root, "CreateAccessKey", "UserName", "bob")
	res, err := s.iam.Invoke(ctx, &s.root, "ListAccessKeys", form("UserName", "bob"))
	if err != nil {
		t.Fatal(err)
	}
	var listed struct {
		Members []struct {
			AccessKeyId string
			CreateDate  time.Time
		} `xml:"AccessKeyMetadata>member"`
	}
	s.decode(res, &listed)
	if len(listed.Members) != 2 {
		t.Fatalf("bob has %d keys", len(listed.Members))
	}
	first, second := listed.Members[0], listed.Members[1]
	if second.CreateDate.Before(first.CreateDate) {
		first, second = second, first
	}
	s.as(&s.root, "UpdateAccessKey", "UserName", "bob", "AccessKeyId", second.AccessKeyId, "Status", "Inactive")
	keyUsed := s.clock.Now()
	if err := s.iam.RecordKeyUse(ctx, first.AccessKeyId, "iam", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	s.as(&s.root, "UpdateAccountPasswordPolicy", "MaxPasswordAge", "90")

	s.clock.Advance(time.Hour)
	signedIn := s.clock.Now()
	expect(t, s.browser().signIn(testAccount, "alice", userPass, false), http.StatusSeeOther, "/console/")
	expect(t, s.browser().signIn(testAccount, rootEmail, rootPass, true), http.StatusSeeOther, "/console/")

	// The report is made in the background: held there, it is in progress.
	hold := make(chan struct{})
	s.iam.BeforeCredentialReport = func(string) { <-hold }
	if got := generate(); got.State != "STARTED" || got.Description != "No report exists. Starting a new report generation task" {
		t.Fatalf("first GenerateCredentialReport = %+v", got)
	}
	if got := generate(); got.State != "INPROGRESS" {
		t.Fatalf("GenerateCredentialReport while one runs = %+v, want INPROGRESS", got)
	}
	if _, _, err := get(); warden.ErrorCode(err) != "ReportInProgress" {
		t.Fatalf("GetCredentialReport while it is made: %v, want ReportInProgress", err)
	}
	close(hold)
	s.iam.WaitCredentialReports()
	s.iam.BeforeCredentialReport = nil
	if got := generate(); got.State != "COMPLETE" || got.Description != "" {
		t.Fatalf("second GenerateCredentialReport = %+v, want COMPLETE", got)
	}
	rows, meta, err := get()
	if err != nil {
		t.Fatal(err)
	}
	if meta.ReportFormat != "text/csv" || !meta.GeneratedTime.Equal(signedIn) {
		t.Errorf("ReportFormat %q, GeneratedTime %v, want text/csv at %v", meta.ReportFormat, meta.GeneratedTime, signedIn)
	}
	header := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	noKeys := "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	next := ts(created.Add(90 * 24 * time.Hour))
	want := []string{
		header,
		"<root_account>,arn:aws:iam::" + testAccount + ":root," + ts(created) + ",not_supported," + ts(signedIn) + ",not_supported,not_supported,false," + noKeys,
		"alice,arn:aws:iam::" + testAccount + ":user/alice," + ts(created) + ",true," + ts(signedIn) + "," + ts(created) + "," + next + ",false," + noKeys,
		"bob,arn:aws:iam::" + testAccount + ":user/bob," + ts(created) + ",false,N/A,N/A,N/A,false," +
			"true," + ts(first.CreateDate) + "," + ts(keyUsed) + ",us-east-1,iam," +
			"false," + ts(second.CreateDate) + ",N/A,N/A,N/A,false,N/A,false,N/A",
		"carol,arn:aws:iam::" + testAccount + ":user/carol," + ts(created) + ",true,no_information," + ts(created) + "," + next + ",true," + noKeys,
	}
	if len(rows) != len(want) {
		t.Fatalf("report has %d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i, row := range rows {
		if len(row) != 22 {
			t.Errorf("row %d has %d columns, want 22", i, len(row))
		}
		if got := strings.Join(row, ","); got != want[i] {
			t.Errorf("row %d:\n got %s\nwant %s", i, got, want[i])
		}
	}

	// A report made within four hours is reused: a new user is not in it.
	s.user("dave", "", "")
	if got := generate(); got.State != "COMPLETE" {
		t.Fatalf("GenerateCredentialReport within four hours = %+v", got)
	}
	if rows, _, _ := get(); len(rows) != len(want) {
		t.Errorf("the reused report has %d rows, want %d", len(rows), len(want))
	}
	s.clock.Advance(4 * time.Hour)
	if _, _, err := get(); warden.ErrorCode(err) != "ReportExpired" {
		t.Fatalf("GetCredentialReport after four hours: %v, want ReportExpired", err)
	}
	if got := generate(); got.State != "STARTED" {
		t.Fatalf("GenerateCredentialReport after four hours = %+v, want STARTED", got)
	}
	s.iam.WaitCredentialReports()
	if rows, _, err := get(); err != nil || len(rows) != len(want)+1 || rows[len(rows)-1][0] != "dave" {
		t.Errorf("the new report: %v, %q", err, rows)
	}

	// Only callers allowed by policy may generate or read the report.
	s.user("eve", "", "")
	eve := warden.Principal{Type: warden.PrincipalUser, Account: testAccount, Name: "eve", ARN: "arn:aws:iam::" + testAccount + ":user/eve"}
	res, err = s.iam.Invoke(ctx, &s.root, "GetUser", form("UserName", "eve"))
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		UserId string `xml:"User>UserId"`
	}
	s.decode(res, &u)
	eve.ID = u.UserId
	for _, action := range []string{"GenerateCredentialReport", "GetCredentialReport"} {
		if _, err := s.iam.Invoke(ctx, &eve, action, form()); warden.ErrorCode(err) != warden.CodeAccessDenied {
			t.Errorf("%s as a user without permissions: %v, want AccessDenied", action, err)
		}
	}
}

// TestCredentialReportLease: a generation left unfinished (its node
// stopped) holds the account for five minutes only; then a new one starts,
// and the old one, should it finish after all, changes nothing.
func TestCredentialReportLease(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, Config{})
	generate := func() string { t.Helper(); return generateReport(t, s).State }
	hold := make(chan struct{})
	s.iam.BeforeCredentialReport = func(string) { <-hold }
	if got := generate(); got != "STARTED" {
		t.Fatalf("first = %s", got)
	}
	s.clock.Advance(4 * time.Minute)
	if got := generate(); got != "INPROGRESS" {
		t.Fatalf("after four minutes = %s, want INPROGRESS", got)
	}
	s.clock.Advance(2 * time.Minute)
	s.user("late", "", "")
	if got := generate(); got != "STARTED" {
		t.Fatalf("after six minutes = %s, want STARTED (the first generation's lease is over)", got)
	}
	close(hold)
	s.iam.WaitCredentialReports()
	res, err := s.iam.Invoke(ctx, &s.root, "GetCredentialReport", form())
	if err != nil {
		t.Fatal(err)
	}
	var out credentialReportContent
	s.decode(res, &out)
	raw, _ := base64.StdEncoding.DecodeString(out.Content)
	if !strings.Contains(string(raw), "\nlate,") || !out.GeneratedTime.Equal(s.clock.Now()) {
		t.Errorf("the report is not the second generation's (%v):\n%s", out.GeneratedTime, raw)
	}
	if got := generate(); got != "COMPLETE" {
		t.Errorf("after both finished = %s, want COMPLETE", got)
	}
}

// generateReport calls GenerateCredentialReport as root.
func generateReport(t *testing.T, s *stack) credentialReportState {
	t.Helper()
	res, err := s.iam.Invoke(t.Context(), &s.root, "GenerateCredentialReport", form())
	if err != nil {
		t.Fatal(err)
	}
	var out credentialReportState
	s.decode(res, &out)
	return out
}

package iam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// Credential report errors, with AWS's codes. Their HTTP statuses (410, 410
// and 404) are in the front end's table.
const (
	CodeReportNotPresent warden.Code = "ReportNotPresent"
	CodeReportExpired    warden.Code = "ReportExpired"
	CodeReportInProgress warden.Code = "ReportInProgress"
)

// credentialReportAge is how long a report stays current: within it
// GenerateCredentialReport answers COMPLETE and keeps the report (AWS
// generates a new one at most every four hours); after it the report has
// expired and GetCredentialReport answers ReportExpired until a new one is
// generated.
const credentialReportAge = 4 * time.Hour

// credentialReportColumns are the report's columns, in AWS's order.
var credentialReportColumns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
	"password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// The placeholders AWS writes where a column has no value.
const (
	notApplicable = "N/A"
	noInformation = "no_information"
	notSupported  = "not_supported"
)

// credentialReportOperations registers the credential report.
func (s *Service) credentialReportOperations() map[string]operation {
	return map[string]operation{
		"GenerateCredentialReport": op(s.generateCredentialReport),
		"GetCredentialReport":      op(s.getCredentialReport),
	}
}

type generateCredentialReportOutput struct {
	State       string `xml:"State"`
	Description string `xml:"Description,omitempty"`
}

// credentialReportLease is how long a generation may run before another
// GenerateCredentialReport may start over (the node running it may have
// stopped); it also bounds the generation's own work.
const credentialReportLease = 5 * time.Minute

// maxReportGenerations bounds the generations one node runs at once, over
// all accounts; more wait for a turn.
const maxReportGenerations = 2

// generateCredentialReport starts a report in the background unless the
// account has one younger than four hours, as AWS does: STARTED when it
// starts one, INPROGRESS while one runs (at most one per account, across
// the nodes sharing the store), COMPLETE once the current report is ready.
func (s *Service) generateCredentialReport(ctx context.Context, p *warden.Principal, _ *emptyInput) (*generateCredentialReportOutput, error) {
	const action = "GenerateCredentialReport"
	if err := s.authorize(ctx, p, action, "*", nil); err != nil {
		return nil, err
	}
	now := s.now()
	var out *generateCredentialReportOutput
	start := false
	err := s.update(ctx, p, action, accountResource(p.Account), func(tx warden.Tx) error {
		start = false
		old, err := warden.Load[warden.CredentialReport](ctx, tx, p.Account, "report")
		if err != nil && !errors.Is(err, warden.ErrNotFound) {
			return err
		}
		if old != nil {
			if running(old, now) {
				out = &generateCredentialReportOutput{State: "INPROGRESS"}
				return nil
			}
			if old.Content != nil && now.Sub(old.Generated) < credentialReportAge {
				out = &generateCredentialReportOutput{State: "COMPLETE"}
				return nil
			}
		}
		out = &generateCredentialReportOutput{State: "STARTED", Description: "No report exists. Starting a new report generation task"}
		start = true
		if old != nil {
			old.Started = now
			return warden.Save(ctx, tx, old)
		}
		return warden.Insert(ctx, tx, &warden.CredentialReport{Account: p.Account, Started: now})
	})
	if err != nil {
		return nil, err
	}
	if start {
		s.startCredentialReport(p.Account, now)
	}
	return out, nil
}

// running reports whether a generation of r runs (within its lease).
func running(r *warden.CredentialReport, now time.Time) bool {
	return !r.Started.IsZero() && now.Sub(r.Started) < credentialReportLease
}

// startCredentialReport generates account's report in the background, for
// the generation that began at started.
func (s *Service) startCredentialReport(account string, started time.Time) {
	s.reports.Add(1)
	go func() {
		defer s.reports.Done()
		s.reportSlots <- struct{}{}
		defer func() { <-s.reportSlots }()
		ctx, cancel := context.WithTimeout(context.Background(), credentialReportLease)
		defer cancel()
		if s.BeforeCredentialReport != nil {
			s.BeforeCredentialReport(account)
		}
		if err := s.finishCredentialReport(ctx, account, started); err != nil {
			slog.Error("iam: generating a credential report", "account", account, "err", err)
		}
	}()
}

// finishCredentialReport makes the report and stores it, unless another
// generation has taken over since started. On failure the generation is
// ended so that the next GenerateCredentialReport starts again.
func (s *Service) finishCredentialReport(ctx context.Context, account string, started time.Time) error {
	var content []byte
	generated := s.now()
	genErr := s.view(ctx, func(tx warden.Tx) (err error) {
		content, err = s.credentialReport(ctx, tx, account, generated)
		return err
	})
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := warden.Load[warden.CredentialReport](ctx, tx, account, "report")
		if err != nil {
			return err
		}
		if !r.Started.Equal(started) {
			return nil // another generation runs now
		}
		r.Started = time.Time{}
		if genErr == nil {
			r.Content, r.Generated = content, generated
		}
		return warden.Save(ctx, tx, r)
	})
	return errors.Join(genErr, err)
}

// WaitCredentialReports waits for the credential reports being generated in
// the background; servers call it when they stop.
func (s *Service) WaitCredentialReports() { s.reports.Wait() }

type getCredentialReportOutput struct {
	Content       string    `xml:"Content"` // base64
	ReportFormat  string    `xml:"ReportFormat"`
	GeneratedTime time.Time `xml:"GeneratedTime"`
}

// getCredentialReport returns the account's report. Errors: ReportNotPresent
// before the first GenerateCredentialReport, ReportInProgress (404) while
// the report is being generated, ReportExpired once the report is four hours
// old.
func (s *Service) getCredentialReport(ctx context.Context, p *warden.Principal, _ *emptyInput) (*getCredentialReportOutput, error) {
	if err := s.authorize(ctx, p, "GetCredentialReport", "*", nil); err != nil {
		return nil, err
	}
	var r *warden.CredentialReport
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		r, err = warden.Load[warden.CredentialReport](ctx, tx, p.Account, "report")
		return err
	})
	if errors.Is(err, warden.ErrNotFound) {
		return nil, warden.Errorf(CodeReportNotPresent, "Unknown")
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if running(r, now) {
		return nil, warden.Errorf(CodeReportInProgress, "Report generation in progress.")
	}
	if r.Content == nil {
		return nil, warden.Errorf(CodeReportNotPresent, "Unknown")
	}
	if now.Sub(r.Generated) >= credentialReportAge {
		return nil, warden.Errorf(CodeReportExpired, "The most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.")
	}
	return &getCredentialReportOutput{Content: base64.StdEncoding.EncodeToString(r.Content), ReportFormat: "text/csv",
		GeneratedTime: r.Generated}, nil
}

// credentialReport writes the CSV of account: the root user's row, then one
// row per IAM user in name order.
func (s *Service) credentialReport(ctx context.Context, tx warden.Tx, account string, now time.Time) ([]byte, error) {
	acct, err := s.loadAccount(ctx, tx, account)
	if err != nil {
		return nil, err
	}
	users, err := warden.LoadAll[warden.User](ctx, tx, account, "", "", 0)
	if err != nil {
		return nil, err
	}
	keys := func(ids []string) ([]*warden.AccessKey, error) {
		var out []*warden.AccessKey
		for _, id := range ids {
			k, err := warden.Load[warden.AccessKey](ctx, tx, "", id)
			if errors.Is(err, warden.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, k)
		}
		return out, nil
	}
	rows := make([]credentialReportRow, 0, len(users)+1)
	rootKeys, err := keys(acct.RootAccessKeys)
	if err != nil {
		return nil, err
	}
	rows = append(rows, credentialReportRow{root: true, name: warden.RootMFAUser, arn: acct.RootARN(),
		created: acct.CreateDate, hasPassword: acct.RootPassword != "", passwordUsed: acct.RootPasswordLastUsed,
		mfa: len(acct.RootMFADevices) > 0, keys: rootKeys})
	for _, u := range users {
		ks, err := keys(u.AccessKeys)
		if err != nil {
			return nil, err
		}
		row := credentialReportRow{name: u.Name, arn: u.ARN(), created: u.CreateDate, passwordUsed: u.PasswordLastUsed,
			mfa: len(u.MFADevices) > 0, keys: ks}
		if lp := u.LoginProfile; lp != nil {
			row.hasPassword = true
			row.passwordChanged = lp.PasswordChanged
			if row.passwordChanged.IsZero() {
				row.passwordChanged = lp.CreateDate
			}
			if pp := acct.PasswordPolicy; pp != nil && pp.MaxPasswordAge > 0 {
				next := row.passwordChanged.Add(time.Duration(pp.MaxPasswordAge) * 24 * time.Hour)
				row.nextRotation = &next
			}
		}
		rows = append(rows, row)
	}
	return writeCredentialReport(rows)
}

// credentialReportRow is what one row of the report says of an identity.
type credentialReportRow struct {
	root            bool
	name, arn       string
	created         time.Time
	hasPassword     bool
	passwordUsed    *time.Time
	passwordChanged time.Time
	nextRotation    *time.Time
	mfa             bool
	keys            []*warden.AccessKey
}

// reportTime is the report's spelling of a time: ISO 8601 with an explicit
// +00:00 offset, as in AWS's reports.
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func reportBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// writeCredentialReport renders rows as the report's CSV, with AWS's
// placeholders: not_supported for what the root user has no notion of, N/A
// where there is nothing to report, no_information for a password that has
// never been used.
func writeCredentialReport(rows []credentialReportRow) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(credentialReportColumns); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rec := []string{r.name, r.arn, reportTime(r.created)}
		switch {
		case r.root:
			rec = append(rec, notSupported)
		default:
			rec = append(rec, reportBool(r.hasPassword))
		}
		switch {
		case r.root && r.passwordUsed != nil, r.hasPassword && r.passwordUsed != nil:
			rec = append(rec, reportTime(*r.passwordUsed))
		case r.root || r.hasPassword:
			rec = append(rec, noInformation)
		default:
			rec = append(rec, notApplicable)
		}
		switch {
		case r.root:
			rec = append(rec, notSupported, notSupported)
		case !r.hasPassword:
			rec = append(rec, notApplicable, notApplicable)
		default:
			next := notApplicable
			if r.nextRotation != nil {
				next = reportTime(*r.nextRotation)
			}
			rec = append(rec, reportTime(r.passwordChanged), next)
		}
		rec = append(rec, reportBool(r.mfa))
		keys := slices.Clone(r.keys)
		slices.SortStableFunc(keys, func(a, b *warden.AccessKey) int { return a.CreateDate.Compare(b.CreateDate) })
		for i := range 2 {
			if i >= len(keys) {
				rec = append(rec, "false", notApplicable, notApplicable, notApplicable, notApplicable)
				continue
			}
			k := keys[i]
			rec = append(rec, reportBool(k.Status == warden.KeyActive), reportTime(k.CreateDate))
			if k.LastUsed == nil {
				rec = append(rec, notApplicable, notApplicable, notApplicable)
				continue
			}
			region, service := orNA(k.LastRegion), orNA(strings.ToLower(k.LastService))
			rec = append(rec, reportTime(*k.LastUsed), region, service)
		}
		// Warden has no signing certificates.
		rec = append(rec, "false", notApplicable, "false", notApplicable)
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

func orNA(s string) string {
	if s == "" {
		return notApplicable
	}
	return s
}

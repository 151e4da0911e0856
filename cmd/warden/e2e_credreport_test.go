package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestE2ECredentialReport drives the credential report with the AWS SDK:
// the errors with their HTTP statuses, the states, and the CSV it decodes.
func TestE2ECredentialReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "rita")

	_, err := root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	wantErr(t, err, "ReportNotPresent", 410)

	gen := res(root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})).must(t)
	if gen.State != types.ReportStateTypeStarted {
		t.Fatalf("State = %s, want STARTED", gen.State)
	}
	// The report is made in the background: poll, a bounded number of
	// times, until it is COMPLETE; meanwhile it is INPROGRESS, and
	// GetCredentialReport says ReportInProgress (404).
	for i := 0; ; i++ {
		gen = res(root.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})).must(t)
		if gen.State == types.ReportStateTypeComplete {
			break
		}
		if gen.State != types.ReportStateTypeInprogress {
			t.Fatalf("State = %s, want INPROGRESS or COMPLETE", gen.State)
		}
		if _, err := root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); err != nil {
			var notReady *types.CredentialReportNotReadyException
			if !errors.As(err, &notReady) {
				wantErr(t, err, "ReportInProgress", 404) // or the report became ready in between
			}
		}
		if i == 1000 {
			t.Fatal("the report is not COMPLETE after 1000 GenerateCredentialReport calls")
		}
	}
	out := res(root.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})).must(t)
	if out.ReportFormat != types.ReportFormatTypeTextCsv {
		t.Errorf("ReportFormat = %s", out.ReportFormat)
	}
	recent(t, "GeneratedTime", out.GeneratedTime)
	lines := strings.Split(strings.TrimSpace(string(out.Content)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "user,arn,user_creation_time,") ||
		!strings.HasPrefix(lines[1], "<root_account>,arn:aws:iam::"+testAccount+":root,") ||
		!strings.HasPrefix(lines[2], "rita,"+userARN("/", "rita")+",") {
		t.Errorf("report:\n%s", out.Content)
	}
	// The root key the server was seeded with signed these requests.
	if !strings.Contains(lines[1], ",true,") || !strings.Contains(lines[1], ",us-east-1,iam,") {
		t.Errorf("root row does not show the used root key: %s", lines[1])
	}

	_, rita := userWithKey(t, s, "rosa")
	_, err = rita.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	wantErr(t, err, "AccessDenied", 403)
	_ = aws.String
}

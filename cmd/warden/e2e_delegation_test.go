package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/warden-iam/warden/wardentest"
)

const (
	partnerAccount = "210987654321"
	partnerTopic   = "arn:aws:sns:us-east-1:" + partnerAccount + ":onboarding"
	// The partner's policy template: a string parameter inside a resource,
	// a stringList parameter standing for a whole list.
	delegationTemplate = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["iam:ListUsers","iam:GetUser"],"Resource":"*"},
 {"Effect":"Allow","Action":"iam:CreateUser","Resource":"arn:aws:iam::{{Account}}:user/{{Prefix}}*"},
 {"Effect":"Allow","Action":"iam:TagUser","Resource":["arn:aws:iam::{{Account}}:user/{{TagTargets}}"]}]}`
)

type notice struct {
	MessageId, TopicArn, Subject, Message string
}

// collectNotices reads the partner's notification channel with a request
// signed by keyID/secret.
func collectNotices(t *testing.T, s *server, keyID, secret, topic string) (int, []notice) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/warden/delegation-notices?TopicArn="+url.QueryEscape(topic), nil)
	if err != nil {
		t.Fatal(err)
	}
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		req, emptySHA256, "sns", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: wardentest.Transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Notices []notice }
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, body.Notices
}

// adminUser makes an IAM user of the account root manages, with
// AdministratorAccess when admin, and returns its ARN and an IAM client.
func adminUser(t *testing.T, s *server, root *iam.Client, name string, admin bool) (string, string, string) {
	t.Helper()
	ctx := context.Background()
	u := res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})).must(t).User
	if admin {
		res(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name),
			PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})).must(t)
	}
	k := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})).must(t).AccessKey
	return *u.Arn, *k.AccessKeyId, *k.SecretAccessKey
}

func TestE2ETemporaryDelegation(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	testTemporaryDelegation(t, s, s)
}

// On PostgreSQL, with the partner on one node and the owner on another.
func TestE2ETemporaryDelegationTwoNodes(t *testing.T) {
	t.Parallel()
	owner, partner := twoNodes(t)
	testTemporaryDelegation(t, owner, partner)
}

// testTemporaryDelegation runs the whole workflow: the owner account on s,
// the partner's calls on ps (the same server, or another node of its store).
func testTemporaryDelegation(t *testing.T, s, ps *server) {
	ctx := context.Background()
	owner := s.root()
	partner, partnerSTS := secondAccount(t, ps, partnerAccount)
	stranger, _ := secondAccount(t, s, "333333333333")
	approverARN, approverKey, approverSecret := adminUser(t, s, owner, "approver", true)
	approver := s.iamClient(approverKey, approverSecret)
	_, viewerKey, viewerSecret := adminUser(t, s, owner, "viewer", false)
	viewer := s.iamClient(viewerKey, viewerSecret)

	// The partner's template is a managed policy of its own account; its
	// root publishes notices and trades tokens in with a key of its own.
	tmpl := res(partner.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("onboarding-template"),
		PolicyDocument: aws.String(delegationTemplate)})).must(t).Policy
	partnerKey := res(partner.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})).must(t).AccessKey
	tagTargets := []string{"partner-a", "partner-b"}
	permissions := func(params ...types.PolicyParameter) *types.DelegationPermission {
		return &types.DelegationPermission{PolicyTemplateArn: tmpl.Arn, Parameters: params}
	}
	goodParams := []types.PolicyParameter{
		{Name: aws.String("Account"), Type: types.PolicyParameterTypeEnumString, Values: []string{testAccount}},
		{Name: aws.String("Prefix"), Type: types.PolicyParameterTypeEnumString, Values: []string{"partner-"}},
		{Name: aws.String("TagTargets"), Type: types.PolicyParameterTypeEnumStringList, Values: tagTargets},
	}
	create := func(workflow string, in *iam.CreateDelegationRequestInput) (*iam.CreateDelegationRequestOutput, error) {
		base := &iam.CreateDelegationRequestInput{OwnerAccountId: aws.String(testAccount), Description: aws.String("Set up the Example monitoring agent"),
			Permissions: permissions(goodParams...), RequestorWorkflowId: aws.String(workflow), NotificationChannel: aws.String(partnerTopic),
			SessionDuration: aws.Int32(3600), RequestMessage: aws.String("Requested from the Example console")}
		if in != nil {
			if in.Permissions != nil {
				base.Permissions = in.Permissions
			}
			if in.NotificationChannel != nil {
				base.NotificationChannel = in.NotificationChannel
			}
			if in.SessionDuration != nil {
				base.SessionDuration = in.SessionDuration
			}
			base.OnlySendByOwner = in.OnlySendByOwner
		}
		return partner.CreateDelegationRequest(ctx, base)
	}

	id := *res(create("wf-1", nil)).must(t).DelegationRequestId
	get := func(c *iam.Client) *types.DelegationRequest {
		t.Helper()
		return res(c.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String(id)})).must(t).DelegationRequest
	}

	t.Run("bad requests", func(t *testing.T) {
		_, err := create("wf-1", nil)
		wantErr(t, err, "EntityAlreadyExists", 409)
		_, err = create("wf-short", &iam.CreateDelegationRequestInput{SessionDuration: aws.Int32(60)})
		wantErr(t, err, "ValidationError", 400)
		_, err = create("wf-long", &iam.CreateDelegationRequestInput{SessionDuration: aws.Int32(43201)})
		wantErr(t, err, "ValidationError", 400)
		_, err = create("wf-topic", &iam.CreateDelegationRequestInput{NotificationChannel: aws.String("arn:aws:sns:us-east-1:" + testAccount + ":theirs")})
		wantErr(t, err, "InvalidInput", 400)
		_, err = create("wf-missing", &iam.CreateDelegationRequestInput{Permissions: permissions(goodParams[:2]...)})
		wantErr(t, err, "InvalidInput", 400)
		extra := append(append([]types.PolicyParameter{}, goodParams...), types.PolicyParameter{Name: aws.String("Nope"), Type: types.PolicyParameterTypeEnumString, Values: []string{"x"}})
		_, err = create("wf-extra", &iam.CreateDelegationRequestInput{Permissions: permissions(extra...)})
		wantErr(t, err, "InvalidInput", 400)
		_, err = create("wf-template", &iam.CreateDelegationRequestInput{Permissions: &types.DelegationPermission{
			PolicyTemplateArn: aws.String("arn:aws:iam::" + testAccount + ":policy/not-the-partners"), Parameters: goodParams}})
		wantErr(t, err, "NoSuchEntity", 404)
		_, err = partner.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String("0000000000000000-nope")})
		wantErr(t, err, "NoSuchEntity", 404)
		_, err = partner.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String("short")})
		wantErr(t, err, "ValidationError", 400)
	})

	t.Run("unassigned", func(t *testing.T) {
		d := get(owner)
		if d.State != types.StateTypeUnassigned || *d.RequestorId != partnerAccount || d.OwnerId != nil || *d.SessionDuration != 3600 {
			t.Fatalf("new request: state %s requestor %s owner %v duration %d", d.State, *d.RequestorId, d.OwnerId, *d.SessionDuration)
		}
		var pol map[string]any
		if err := json.Unmarshal([]byte(mustUnescape(t, *d.PermissionPolicy)), &pol); err != nil {
			t.Fatalf("PermissionPolicy is not JSON: %v\n%s", err, *d.PermissionPolicy)
		}
		rendered := mustUnescape(t, *d.PermissionPolicy)
		if !strings.Contains(rendered, `"arn:aws:iam::`+testAccount+`:user/partner-*"`) || !strings.Contains(rendered, `["arn:aws:iam::`+testAccount+`:user/partner-a","arn:aws:iam::`+testAccount+`:user/partner-b"]`) {
			t.Errorf("parameters not filled in:\n%s", rendered)
		}
		if d.ExpirationTime.Sub(*d.CreateDate) != 24*time.Hour {
			t.Errorf("an unassigned request expires after %v, want 1 day", d.ExpirationTime.Sub(*d.CreateDate))
		}
		// Aimed at the owner account: another account cannot see it.
		_, err := stranger.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "NoSuchEntity", 404)
		_, err = stranger.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "NoSuchEntity", 404)
		// Unowned requests are not listed.
		if l := res(owner.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{})).must(t); len(l.DelegationRequests) != 0 {
			t.Errorf("unowned request listed: %v", l.DelegationRequests)
		}
		_, err = approver.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "NoSuchEntity", 404)
	})

	t.Run("associate and review", func(t *testing.T) {
		_, err := viewer.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "AccessDenied", 403)
		res(approver.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: aws.String(id)})).must(t)
		d := get(approver)
		if d.State != types.StateTypeAssigned || aws.ToString(d.OwnerId) != approverARN || aws.ToString(d.OwnerAccountId) != testAccount {
			t.Fatalf("associated: state %s owner %v", d.State, aws.ToString(d.OwnerId))
		}
		_, err = approver.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "InvalidInput", 400)
		_, err = viewer.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "AccessDenied", 403)
		_, err = approver.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "InvalidInput", 400)

		res(approver.UpdateDelegationRequest(ctx, &iam.UpdateDelegationRequestInput{DelegationRequestId: aws.String(id),
			Notes: aws.String("Please approve: needed for monitoring")})).must(t)
		if d := get(owner); d.State != types.StateTypePendingApproval || aws.ToString(d.Notes) != "Please approve: needed for monitoring" {
			t.Fatalf("updated: state %s notes %q", d.State, aws.ToString(d.Notes))
		}
		sum := res(owner.GetHumanReadableSummary(ctx, &iam.GetHumanReadableSummaryInput{EntityArn: aws.String("arn:aws:iam::" + testAccount + ":delegation-request/" + id)})).must(t)
		if sum.SummaryState != types.SummaryStateTypeAvailable || !strings.Contains(aws.ToString(sum.SummaryContent), "iam:CreateUser on arn:aws:iam::"+testAccount+":user/partner-*") ||
			!strings.Contains(aws.ToString(sum.SummaryContent), "1 hour") {
			t.Errorf("summary %s:\n%s", sum.SummaryState, aws.ToString(sum.SummaryContent))
		}
		fr := res(owner.GetHumanReadableSummary(ctx, &iam.GetHumanReadableSummaryInput{EntityArn: aws.String("arn:aws:iam::" + testAccount + ":delegation-request/" + id), Locale: aws.String("fr")})).must(t)
		if fr.SummaryState != types.SummaryStateTypeNotSupported {
			t.Errorf("French summary: %s", fr.SummaryState)
		}
		check := res(approver.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String(id), DelegationPermissionCheck: true})).must(t)
		if check.PermissionCheckStatus != types.PermissionCheckStatusTypeComplete || check.PermissionCheckResult != types.PermissionCheckResultTypeUnsure {
			t.Errorf("approver's check: %s %s, want COMPLETE UNSURE (a wildcard resource)", check.PermissionCheckStatus, check.PermissionCheckResult)
		}
	})

	t.Run("accept and send", func(t *testing.T) {
		_, err := viewer.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "AccessDenied", 403)
		_, err = owner.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "AccessDenied", 403) // root: see docs/delegation.md
		res(approver.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String(id)})).must(t)
		d := get(owner)
		if d.State != types.StateTypeAccepted || aws.ToString(d.ApproverId) != approverARN {
			t.Fatalf("accepted: state %s approver %s", d.State, aws.ToString(d.ApproverId))
		}
		l := res(owner.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{})).must(t)
		if len(l.DelegationRequests) != 1 || *l.DelegationRequests[0].DelegationRequestId != id {
			t.Fatalf("list: %v", l.DelegationRequests)
		}
		if l := res(owner.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{OwnerId: aws.String("arn:aws:iam::" + testAccount + ":user/viewer")})).must(t); len(l.DelegationRequests) != 0 {
			t.Errorf("list for another owner: %v", l.DelegationRequests)
		}
		res(approver.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: aws.String(id)})).must(t)
		if d := get(owner); d.State != types.StateTypeFinalized {
			t.Fatalf("sent: state %s", d.State)
		}
		_, err = approver.RejectDelegationRequest(ctx, &iam.RejectDelegationRequestInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "InvalidInput", 400)
		_, err = approver.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: aws.String(id)})
		wantErr(t, err, "InvalidInput", 400)
	})

	var token string
	t.Run("notices reach the partner once", func(t *testing.T) {
		status, got := collectNotices(t, ps, *partnerKey.AccessKeyId, *partnerKey.SecretAccessKey, partnerTopic)
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		var states []string
		for _, n := range got {
			var m map[string]string
			if err := json.Unmarshal([]byte(n.Message), &m); err != nil {
				t.Fatalf("notice %q: %v", n.Message, err)
			}
			if m["DelegationRequestId"] == id {
				states = append(states, m["State"])
				if m["ExchangeToken"] != "" {
					token = m["ExchangeToken"]
				}
			}
		}
		if want := "UNASSIGNED ASSIGNED PENDING_APPROVAL ACCEPTED FINALIZED"; strings.Join(states, " ") != want {
			t.Errorf("notices of the request: %v, want %s", states, want)
		}
		if token == "" {
			t.Fatal("no exchange token among the notices")
		}
		if status, again := collectNotices(t, ps, *partnerKey.AccessKeyId, *partnerKey.SecretAccessKey, partnerTopic); status != http.StatusOK || len(again) != 0 {
			t.Errorf("second collection: %d, %d notices", status, len(again))
		}
		if status, _ := collectNotices(t, ps, *partnerKey.AccessKeyId, *partnerKey.SecretAccessKey, "arn:aws:sns:us-east-1:"+testAccount+":x"); status != http.StatusBadRequest {
			t.Errorf("another account's topic: %d, want 400", status)
		}
		if status, _ := collectNotices(t, ps, *partnerKey.AccessKeyId, "wrong-secret-wrong-secret-wrong-secret-00", partnerTopic); status != http.StatusForbidden {
			t.Errorf("bad signature: %d, want 403", status)
		}
	})

	t.Run("the token buys limited credentials", func(t *testing.T) {
		// Only the partner that made the request may trade its token in.
		_, err := s.stsClient(rootKeyID, rootSecret).GetDelegatedAccessToken(ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: aws.String(token)})
		wantErr(t, err, "ExpiredTradeInTokenException", 400)
		_, err = partnerSTS.GetDelegatedAccessToken(ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: aws.String(token + "x")})
		wantErr(t, err, "ExpiredTradeInTokenException", 400)
		_, err = partnerSTS.GetDelegatedAccessToken(ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: aws.String("not a token")})
		wantErr(t, err, "ExpiredTradeInTokenException", 400)

		out := res(partnerSTS.GetDelegatedAccessToken(ctx, &sts.GetDelegatedAccessTokenInput{TradeInToken: aws.String(token)})).must(t)
		if aws.ToString(out.AssumedPrincipal) != approverARN {
			t.Errorf("AssumedPrincipal %s, want %s", aws.ToString(out.AssumedPrincipal), approverARN)
		}
		if left := time.Until(*out.Credentials.Expiration); left > time.Hour || left < 50*time.Minute {
			t.Errorf("credentials last %v, want the hour the request asked for", left)
		}
		cfg := s.config(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
		delegated := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
		who := res(sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		if *who.Account != testAccount || *who.Arn != approverARN {
			t.Errorf("delegated caller %s %s", *who.Account, *who.Arn)
		}
		res(delegated.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
		res(delegated.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("partner-a")})).must(t)
		res(delegated.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("partner-a"), Tags: []types.Tag{{Key: aws.String("by"), Value: aws.String("partner")}}})).must(t)
		// The approver is an administrator; the request's policy limits
		// what the partner may do as it.
		_, err = delegated.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("intruder")})
		wantErr(t, err, "AccessDenied", 403)
		_, err = delegated.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("viewer")})
		wantErr(t, err, "AccessDenied", 403)
		_, err = delegated.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("partner-a"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
		wantErr(t, err, "AccessDenied", 403)
	})

	t.Run("reject", func(t *testing.T) {
		id2 := *res(create("wf-2", nil)).must(t).DelegationRequestId
		res(approver.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: aws.String(id2)})).must(t)
		res(approver.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String(id2)})).must(t)
		res(approver.RejectDelegationRequest(ctx, &iam.RejectDelegationRequestInput{DelegationRequestId: aws.String(id2), Notes: aws.String("Not this quarter")})).must(t)
		d := res(owner.GetDelegationRequest(ctx, &iam.GetDelegationRequestInput{DelegationRequestId: aws.String(id2)})).must(t).DelegationRequest
		if d.State != types.StateTypeRejected || aws.ToString(d.RejectionReason) != "Not this quarter" {
			t.Fatalf("rejected: %s %q", d.State, aws.ToString(d.RejectionReason))
		}
		for _, call := range []func() error{
			func() error {
				_, err := approver.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String(id2)})
				return err
			},
			func() error {
				_, err := approver.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: aws.String(id2)})
				return err
			},
			func() error {
				_, err := approver.UpdateDelegationRequest(ctx, &iam.UpdateDelegationRequestInput{DelegationRequestId: aws.String(id2)})
				return err
			},
		} {
			wantErr(t, call(), "InvalidInput", 400)
		}
		_, got := collectNotices(t, ps, *partnerKey.AccessKeyId, *partnerKey.SecretAccessKey, partnerTopic)
		if n := len(got); n == 0 || !strings.Contains(got[n-1].Message, `"RejectionReason":"Not this quarter"`) {
			t.Errorf("last notice: %v", got)
		}
	})

	t.Run("only the owner sends", func(t *testing.T) {
		_, otherKey, otherSecret := adminUser(t, s, owner, "second-admin", true)
		other := s.iamClient(otherKey, otherSecret)
		id3 := *res(create("wf-3", &iam.CreateDelegationRequestInput{OnlySendByOwner: true})).must(t).DelegationRequestId
		res(approver.AssociateDelegationRequest(ctx, &iam.AssociateDelegationRequestInput{DelegationRequestId: aws.String(id3)})).must(t)
		res(other.AcceptDelegationRequest(ctx, &iam.AcceptDelegationRequestInput{DelegationRequestId: aws.String(id3)})).must(t)
		_, err := other.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: aws.String(id3)})
		wantErr(t, err, "AccessDenied", 403)
		res(approver.SendDelegationToken(ctx, &iam.SendDelegationTokenInput{DelegationRequestId: aws.String(id3)})).must(t)
	})

	t.Run("list pages", func(t *testing.T) {
		first := res(owner.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{MaxItems: aws.Int32(2)})).must(t)
		if len(first.DelegationRequests) != 2 || !first.IsTruncated || first.Marker == nil {
			t.Fatalf("first page: %d items, truncated %v", len(first.DelegationRequests), first.IsTruncated)
		}
		rest := res(owner.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{MaxItems: aws.Int32(2), Marker: first.Marker})).must(t)
		if len(rest.DelegationRequests) != 1 || rest.IsTruncated {
			t.Fatalf("second page: %d items, truncated %v", len(rest.DelegationRequests), rest.IsTruncated)
		}
		_, err := owner.ListDelegationRequests(ctx, &iam.ListDelegationRequestsInput{Marker: aws.String("not-a-marker!")})
		wantErr(t, err, "ValidationError", 400)
	})
}

// mustUnescape decodes a URL-encoded policy document, as IAM returns them.
func mustUnescape(t *testing.T, doc string) string {
	t.Helper()
	s, err := url.QueryUnescape(doc)
	if err != nil {
		t.Fatalf("policy %q: %v", doc, err)
	}
	return s
}

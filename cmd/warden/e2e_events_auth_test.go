package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/awsquery"
	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/trail"
)

// TestE2EEventHistoryAuthentication: calls by root are recorded with
// userIdentity type Root; requests that fail authentication are recorded
// with the error and the identity their key ID names (IAMUser), or Unknown
// with the key ID; a flood of failures from one source is bounded; and no
// secret, right or wrong, is in any event.
func TestE2EEventHistoryAuthentication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "fay")
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("fay")})).must(t).AccessKey
	wrongSecret := "Wrong" + (*key.SecretAccessKey)[5:]
	_, err := s.iamClient(*key.AccessKeyId, wrongSecret).GetUser(ctx, &iam.GetUserInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)
	const unknownKey = "AKIAUNKNOWNKEY000001"
	const unknownSecret = "unknownSecretKey/0123456789abcdefghijklm"
	// More than two minutes' allowance: however the flood falls across the
	// end of a minute, some of it is suppressed.
	flood := 2*trail.FailedPerSource + 5
	for range flood {
		_, err = s.iamClient(unknownKey, unknownSecret).ListUsers(ctx, &iam.ListUsersInput{})
		wantErr(t, err, "InvalidClientTokenId", 403)
	}

	events := allEvents(t, s, "")
	byKey := map[string][]map[string]any{}
	for _, e := range events {
		raw := e["CloudTrailEvent"].(string)
		for _, secret := range []string{rootSecret, *key.SecretAccessKey, wrongSecret, unknownSecret} {
			if strings.Contains(raw, secret) {
				t.Errorf("event %s holds a secret: %s", e["EventName"], raw)
			}
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			t.Fatal(err)
		}
		id := rec["userIdentity"].(map[string]any)
		k, _ := id["accessKeyId"].(string)
		byKey[k] = append(byKey[k], rec)
	}

	// Root's calls.
	var rootCall map[string]any
	for _, rec := range byKey[rootKeyID] {
		if rec["eventName"] == "CreateAccessKey" {
			rootCall = rec
		}
	}
	if rootCall == nil {
		t.Fatalf("no CreateAccessKey by the root key among %d events", len(events))
	}
	if id := rootCall["userIdentity"].(map[string]any); id["type"] != "Root" || id["arn"] != "arn:aws:iam::"+testAccount+":root" ||
		id["accountId"] != testAccount || id["principalId"] != testAccount {
		t.Errorf("root's userIdentity = %v", id)
	}

	// The bad signature with fay's key: her identity, the error.
	bad := byKey[*key.AccessKeyId]
	if len(bad) != 1 {
		t.Fatalf("%d events with fay's key, want 1: %v", len(bad), bad)
	}
	if id := bad[0]["userIdentity"].(map[string]any); id["type"] != "IAMUser" || id["userName"] != "fay" ||
		bad[0]["errorCode"] != "SignatureDoesNotMatch" || bad[0]["eventName"] != "GetUser" ||
		bad[0]["recipientAccountId"] != testAccount || bad[0]["sourceIPAddress"] != "127.0.0.1" {
		t.Errorf("bad signature event = %v", bad[0])
	}

	// The unknown key: Unknown, in the deployment's first account, bounded.
	unknown := byKey[unknownKey]
	if len(unknown) == 0 || len(unknown) > 2*trail.FailedPerSource {
		// Within one minute at most FailedPerSource are kept; the flood may
		// straddle one minute's end, so at most twice that.
		t.Fatalf("%d events of %d requests with the unknown key, want 1..%d", len(unknown), flood, 2*trail.FailedPerSource)
	}
	u := unknown[0]
	if id := u["userIdentity"].(map[string]any); id["type"] != "Unknown" || id["arn"] != nil || id["accountId"] != nil ||
		u["errorCode"] != "InvalidClientTokenId" || u["eventName"] != "ListUsers" || u["recipientAccountId"] != testAccount {
		t.Errorf("unknown key event = %v", u)
	}
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	if !strings.Contains(metrics, "warden_events_suppressed_total ") || strings.Contains(metrics, "warden_events_suppressed_total 0\n") {
		t.Errorf("suppressed failures not counted in /metrics")
	}
}

// TestEventHistoryExpiredToken: a request with an expired session's
// credentials is recorded as ExpiredToken by the session's identity.
func TestEventHistoryExpiredToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var rec *trail.Recorder
	var log warden.EventLog
	s, clock, _ := wireServer(t, func(h *awsquery.Handler, store *sqlite.Store) {
		log = store
		rec = trail.NewRecorder(store, trail.Options{Log: slog.New(slog.DiscardHandler)})
		h.Trail, h.UnknownKeyAccount = rec, testAccount
	})
	root := s.root()
	createUser(t, root, "gil")
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("gil")})).must(t).AccessKey
	putUserPolicyDoc(t, root, "gil", "p", stsDoc(stsAllow("*", "sts:AssumeRole")))
	roleARN := stsRole(t, root, "Runner", stsDoc(stsTrust(userARN("/", "gil"), []string{"sts:AssumeRole"}, "")),
		stsDoc(stsAllow("*", "iam:ListRoles")))
	creds := res(s.stsClient(*key.AccessKeyId, *key.SecretAccessKey).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("nightly")})).must(t).Credentials
	clock.Advance(time.Hour + time.Second)
	_, err := s.iamAs(creds).ListRoles(ctx, &iam.ListRolesInput{})
	wantErr(t, err, "ExpiredToken", http.StatusForbidden)

	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	events, err := log.LookupEvents(ctx, warden.EventQuery{Account: testAccount, Attribute: warden.EventAttrEventName, Value: "ListRoles"})
	if err != nil || len(events) != 1 {
		t.Fatalf("ListRoles events: %d, %v", len(events), err)
	}
	raw := string(events[0].Record)
	for _, secret := range []string{*creds.SecretAccessKey, *creds.SessionToken, *key.SecretAccessKey} {
		if strings.Contains(raw, secret) {
			t.Errorf("the event holds a secret: %s", raw)
		}
	}
	var r map[string]any
	if err := json.Unmarshal(events[0].Record, &r); err != nil {
		t.Fatal(err)
	}
	id := r["userIdentity"].(map[string]any)
	if r["errorCode"] != "ExpiredToken" || id["type"] != "AssumedRole" || id["accessKeyId"] != *creds.AccessKeyId ||
		!strings.HasSuffix(id["arn"].(string), ":assumed-role/Runner/nightly") {
		t.Errorf("expired-token event = %s", raw)
	}
}

// TestE2EEventHistoryOtherFrontEnds: Access Analyzer's calls are events of
// access-analyzer.amazonaws.com, and requests that CloudTrail's and Access
// Analyzer's front ends refuse for their signature are recorded as the Query
// API records its own, with the key's identity and the error their client got.
func TestE2EEventHistoryOtherFrontEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "hal")
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("hal")})).must(t).AccessKey
	wrongSecret := "Wrong" + (*key.SecretAccessKey)[5:]

	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
	if status, _, body := analyzerCall(t, s, rootKeyID, rootSecret, "POST", "/policy/validation",
		map[string]any{"policyDocument": doc, "policyType": "IDENTITY_POLICY"}); status != 200 {
		t.Fatalf("ValidatePolicy: %d %s", status, body)
	}
	if status, errType, _ := analyzerCall(t, s, *key.AccessKeyId, wrongSecret, "POST", "/policy/validation",
		map[string]any{"policyDocument": doc, "policyType": "IDENTITY_POLICY"}); status != 403 || errType != "InvalidSignatureException" {
		t.Fatalf("ValidatePolicy with a wrong secret: %d %s", status, errType)
	}
	if status, out := ctCall(t, s, *key.AccessKeyId, wrongSecret, "LookupEvents", `{"MaxResults":1}`); status != 400 ||
		out["__type"] != "InvalidSignatureException" {
		t.Fatalf("LookupEvents with a wrong secret: %d %v", status, out)
	}

	var validated, refusedAA, refusedCT map[string]any
	for _, e := range allEvents(t, s, "") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(e["CloudTrailEvent"].(string)), &rec); err != nil {
			t.Fatal(err)
		}
		id := rec["userIdentity"].(map[string]any)
		switch {
		case rec["eventSource"] == "access-analyzer.amazonaws.com" && id["type"] == "Root":
			validated = rec
		case rec["eventSource"] == "access-analyzer.amazonaws.com" && id["userName"] == "hal":
			refusedAA = rec
		case rec["eventSource"] == "cloudtrail.amazonaws.com" && id["userName"] == "hal":
			refusedCT = rec
		}
	}
	if validated == nil || validated["eventName"] != "ValidatePolicy" || validated["errorCode"] != nil ||
		validated["requestParameters"].(map[string]any)["policyType"] != "IDENTITY_POLICY" {
		t.Errorf("root's ValidatePolicy event = %v", validated)
	}
	for name, rec := range map[string]map[string]any{"Access Analyzer": refusedAA, "CloudTrail": refusedCT} {
		if rec == nil {
			t.Errorf("no event of the %s request with a wrong secret", name)
			continue
		}
		id := rec["userIdentity"].(map[string]any)
		if rec["errorCode"] != "InvalidSignatureException" || id["type"] != "IAMUser" || id["accessKeyId"] != *key.AccessKeyId ||
			rec["recipientAccountId"] != testAccount || rec["sourceIPAddress"] != "127.0.0.1" {
			t.Errorf("%s refusal event = %v", name, rec)
		}
		if strings.Contains(fmt.Sprint(rec), wrongSecret) || strings.Contains(fmt.Sprint(rec), *key.SecretAccessKey) {
			t.Errorf("%s refusal event holds a secret", name)
		}
	}
}

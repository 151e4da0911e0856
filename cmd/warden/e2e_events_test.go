package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ctCall sends a CloudTrail JSON 1.1 request signed for "cloudtrail".
func ctCall(t *testing.T, s *server, keyID, secret, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."+op)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash(body), "cloudtrail", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	status, text, h := send(t, req)
	if ct := h.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type = %q", ct)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%s answered %d with non-JSON %q", op, status, text)
	}
	return status, out
}

// allEvents pages through LookupEvents with the root key, two at a time.
func allEvents(t *testing.T, s *server, attrs string) []map[string]any {
	t.Helper()
	var events []map[string]any
	token := ""
	for range 1000 {
		body := `{"MaxResults":2` + attrs
		if token != "" {
			body += `,"NextToken":"` + token + `"`
		}
		status, out := ctCall(t, s, rootKeyID, rootSecret, "LookupEvents", body+`}`)
		if status != 200 {
			t.Fatalf("LookupEvents: %d %v", status, out)
		}
		page, _ := out["Events"].([]any)
		if len(page) > 2 {
			t.Fatalf("page of %d events with MaxResults 2", len(page))
		}
		for _, e := range page {
			events = append(events, e.(map[string]any))
		}
		token, _ = out["NextToken"].(string)
		if token == "" {
			return events
		}
	}
	t.Fatal("LookupEvents never stopped paging")
	return nil
}

// TestE2EEventHistory records API calls (allowed and denied, IAM and STS)
// and reads them back with LookupEvents: the records' fields, filters,
// paging, the errors, authorization, and that no secret is in any event.
func TestE2EEventHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	const password = "Ella-Secret-Passw0rd!"
	createUser(t, root, "ella")
	res(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("ella"), Password: aws.String(password)})).must(t)
	key := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ella")})).must(t).AccessKey
	putUserPolicyDoc(t, root, "ella", "p", stsDoc(stsAllow("*", "iam:GetUser", "sts:AssumeRole")))
	ella := s.iamClient(*key.AccessKeyId, *key.SecretAccessKey)
	res(ella.GetUser(ctx, &iam.GetUserInput{})).must(t)
	_, err := ella.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantErr(t, err, "AccessDenied", 403)
	roleARN := stsRole(t, root, "Auditor", stsDoc(stsTrust(userARN("/", "ella"), []string{"sts:AssumeRole"}, "")),
		stsDoc(stsAllow("*", "iam:ListUsers")))
	creds := res(s.stsClient(*key.AccessKeyId, *key.SecretAccessKey).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("audit-session")})).must(t).Credentials
	res(s.iamAs(creds).ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	mfa := res(root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ella-mfa")})).must(t)
	seed := string(mfa.VirtualMFADevice.Base32StringSeed)

	events := allEvents(t, s, "")
	seen := map[string]bool{}
	byName := map[string][]map[string]any{}
	for _, e := range events {
		id := e["EventId"].(string)
		if seen[id] {
			t.Fatalf("event %s on two pages", id)
		}
		seen[id] = true
		raw := e["CloudTrailEvent"].(string)
		for _, secret := range []string{password, *key.SecretAccessKey, rootSecret, *creds.SecretAccessKey, *creds.SessionToken, seed} {
			if strings.Contains(raw, secret) {
				t.Errorf("event %s %s holds a secret: %s", e["EventName"], id, raw)
			}
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			t.Fatalf("CloudTrailEvent is not JSON: %v", err)
		}
		byName[rec["eventName"].(string)] = append(byName[rec["eventName"].(string)], rec)
	}
	for _, name := range []string{"CreateUser", "CreateLoginProfile", "CreateAccessKey", "PutUserPolicy", "GetUser",
		"CreateRole", "AssumeRole", "ListUsers", "CreateVirtualMFADevice"} {
		if len(byName[name]) == 0 {
			t.Errorf("no %s event among %d", name, len(events))
		}
	}

	// The denied call, as CloudTrail records it.
	var denied map[string]any
	for _, rec := range byName["CreateUser"] {
		if rec["errorCode"] == "AccessDenied" {
			denied = rec
		}
	}
	if denied == nil {
		t.Fatalf("no denied CreateUser: %v", byName["CreateUser"])
	}
	ident := denied["userIdentity"].(map[string]any)
	if ident["type"] != "IAMUser" || ident["userName"] != "ella" || ident["accessKeyId"] != *key.AccessKeyId ||
		ident["arn"] != userARN("/", "ella") || ident["accountId"] != testAccount || !strings.HasPrefix(ident["principalId"].(string), "AIDA") {
		t.Errorf("userIdentity = %v", ident)
	}
	for field, want := range map[string]any{"eventVersion": "1.08", "eventSource": "iam.amazonaws.com", "awsRegion": "us-east-1",
		"sourceIPAddress": "127.0.0.1", "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": testAccount, "eventCategory": "Management"} {
		if denied[field] != want {
			t.Errorf("%s = %v, want %v", field, denied[field], want)
		}
	}
	if !strings.Contains(denied["errorMessage"].(string), "is not authorized to perform: iam:CreateUser") ||
		denied["requestParameters"].(map[string]any)["userName"] != "mallory" || denied["responseElements"] != nil {
		t.Errorf("denied CreateUser = %v", denied)
	}
	for _, f := range []string{"eventTime", "eventID", "requestID", "userAgent"} {
		if s, _ := denied[f].(string); s == "" {
			t.Errorf("%s is empty", f)
		}
	}
	if lp := byName["CreateLoginProfile"][0]["requestParameters"].(map[string]any); lp["password"] != "HIDDEN_DUE_TO_SECURITY_REASONS" {
		t.Errorf("CreateLoginProfile requestParameters = %v", lp)
	}
	if ak := byName["CreateAccessKey"][0]["responseElements"].(map[string]any)["accessKey"].(map[string]any); ak["accessKeyId"] != *key.AccessKeyId || ak["secretAccessKey"] != nil {
		t.Errorf("CreateAccessKey responseElements = %v", ak)
	}
	if g := byName["GetUser"][0]; g["readOnly"] != true || g["responseElements"] != nil {
		t.Errorf("GetUser event = %v", g)
	}
	assume := byName["AssumeRole"][0]
	if assume["eventSource"] != "sts.amazonaws.com" {
		t.Errorf("AssumeRole eventSource = %v", assume["eventSource"])
	}
	if c := assume["responseElements"].(map[string]any)["credentials"].(map[string]any); c["accessKeyId"] != *creds.AccessKeyId || c["sessionToken"] != nil || c["expiration"] == nil {
		t.Errorf("AssumeRole credentials = %v", c)
	}
	for _, rec := range byName["ListUsers"] {
		id := rec["userIdentity"].(map[string]any)
		if id["type"] != "AssumedRole" {
			continue
		}
		sc := id["sessionContext"].(map[string]any)
		issuer := sc["sessionIssuer"].(map[string]any)
		if issuer["arn"] != roleARN || issuer["type"] != "Role" || issuer["userName"] != "Auditor" || id["accessKeyId"] != *creds.AccessKeyId {
			t.Errorf("assumed-role identity = %v", id)
		}
	}

	// Filters.
	for _, tt := range []struct{ attrs, want string }{
		{`,"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"AssumeRole"}]`, "AssumeRole"},
		{`,"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"ella"}]`, ""},
		{`,"LookupAttributes":[{"AttributeKey":"EventSource","AttributeValue":"sts.amazonaws.com"}]`, "AssumeRole"},
		{`,"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"mallory"}]`, "CreateUser"},
	} {
		got := allEvents(t, s, tt.attrs)
		if len(got) == 0 {
			t.Errorf("%s: no events", tt.attrs)
		}
		for _, e := range got {
			if tt.want != "" && e["EventName"] != tt.want {
				t.Errorf("%s: got a %v event", tt.attrs, e["EventName"])
			}
			if strings.Contains(tt.attrs, "ella") && e["Username"] != "ella" {
				t.Errorf("%s: got an event of %v", tt.attrs, e["Username"])
			}
		}
	}
	readOnly := allEvents(t, s, `,"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"true"}]`)
	for _, e := range readOnly {
		if e["ReadOnly"] != "true" {
			t.Errorf("ReadOnly filter gave %v", e)
		}
	}
	future := time.Now().Add(time.Hour).Unix()
	if _, out := ctCall(t, s, rootKeyID, rootSecret, "LookupEvents", `{"StartTime":`+jsonInt(future)+`}`); len(out["Events"].([]any)) != 0 {
		t.Errorf("events from the future: %v", out["Events"])
	}

	// Bad input gets CloudTrail's errors.
	for _, tt := range []struct{ body, code string }{
		{`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"a"},{"AttributeKey":"Username","AttributeValue":"b"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"Colour","AttributeValue":"a"}]}`, "InvalidLookupAttributesException"},
		{`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"maybe"}]}`, "InvalidLookupAttributesException"},
		{`{"StartTime":1700000100,"EndTime":1700000000}`, "InvalidTimeRangeException"},
		{`{"MaxResults":51}`, "InvalidMaxResultsException"},
		{`{"MaxResults":0}`, "InvalidMaxResultsException"},
		{`{"NextToken":"bm90IGEgdG9rZW4"}`, "InvalidNextTokenException"},
		{`{"EventCategory":"everything"}`, "InvalidEventCategoryException"},
		{`{"StartTime":"yesterday"}`, "SerializationException"},
		{`{not json`, "SerializationException"},
	} {
		status, out := ctCall(t, s, rootKeyID, rootSecret, "LookupEvents", tt.body)
		if status != 400 || out["__type"] != tt.code || out["message"] == "" {
			t.Errorf("%s: %d %v, want 400 %s", tt.body, status, out, tt.code)
		}
	}
	// A token from another query is refused.
	_, first := ctCall(t, s, rootKeyID, rootSecret, "LookupEvents", `{"MaxResults":1}`)
	tok := first["NextToken"].(string)
	if status, out := ctCall(t, s, rootKeyID, rootSecret, "LookupEvents",
		`{"MaxResults":1,"NextToken":"`+tok+`","LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"GetUser"}]}`); status != 400 || out["__type"] != "InvalidNextTokenException" {
		t.Errorf("token of another query: %d %v", status, out)
	}
	if status, out := ctCall(t, s, rootKeyID, rootSecret, "CreateTrail", `{}`); status != 400 || out["__type"] != "UnknownOperationException" {
		t.Errorf("CreateTrail: %d %v", status, out)
	}
	if status, out := ctCall(t, s, *key.AccessKeyId, "wrong"+*key.SecretAccessKey, "LookupEvents", `{}`); status != 400 || out["__type"] != "InvalidSignatureException" {
		t.Errorf("bad signature: %d %v", status, out)
	}
	// cloudtrail:LookupEvents governs who reads the history.
	if status, out := ctCall(t, s, *key.AccessKeyId, *key.SecretAccessKey, "LookupEvents", `{}`); status != 400 || out["__type"] != "AccessDeniedException" ||
		!strings.Contains(out["message"].(string), "cloudtrail:LookupEvents") {
		t.Errorf("LookupEvents without permission: %d %v", status, out)
	}
	putUserPolicyDoc(t, root, "ella", "p", stsDoc(stsAllow("*", "cloudtrail:LookupEvents")))
	if status, out := ctCall(t, s, *key.AccessKeyId, *key.SecretAccessKey, "LookupEvents", `{"MaxResults":1}`); status != 200 || len(out["Events"].([]any)) != 1 {
		t.Errorf("LookupEvents with permission: %d %v", status, out)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestCLILookupEvents reads the event history with the real aws CLI.
func TestCLILookupEvents(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Fatal("the aws CLI is not installed at /usr/bin/aws")
	}
	s := startServer(t, nil, nil)
	createUser(t, s.root(), "cli-user")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/aws", "cloudtrail", "lookup-events", "--endpoint-url", s.URL, "--region", "us-east-1",
		"--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser", "--max-results", "5", "--output", "json")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+rootKeyID, "AWS_SECRET_ACCESS_KEY="+rootSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws cloudtrail lookup-events: %v\n%s", err, out)
	}
	var got struct {
		Events []struct {
			EventName       string
			Username        string
			EventTime       any
			Resources       []struct{ ResourceType, ResourceName string }
			CloudTrailEvent string
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("CLI output: %v\n%s", err, out)
	}
	if len(got.Events) != 1 || got.Events[0].EventName != "CreateUser" || got.Events[0].Username != "root" ||
		len(got.Events[0].Resources) != 1 || got.Events[0].Resources[0].ResourceName != "cli-user" ||
		!strings.Contains(got.Events[0].CloudTrailEvent, `"userName":"cli-user"`) {
		t.Errorf("CLI output:\n%s", out)
	}
	cmd = exec.CommandContext(ctx, "/usr/bin/aws", "cloudtrail", "lookup-events", "--endpoint-url", s.URL, "--region", "us-east-1",
		"--start-time", "2030-01-02T00:00:00Z", "--end-time", "2030-01-01T00:00:00Z")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+rootKeyID, "AWS_SECRET_ACCESS_KEY="+rootSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "InvalidTimeRangeException") {
		t.Errorf("an inverted time range: %v\n%s", err, out)
	}
}

// TestEventsAcrossNodesOnPostgreSQL checks that the event history is shared:
// what node A records, node B's LookupEvents returns, and the reverse.
func TestEventsAcrossNodesOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	res(a.root().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("from-a")})).must(t)
	res(b.root().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("from-b")})).must(t)
	// A lookup writes the node's own buffer first: one on each node puts
	// both nodes' events in the shared table.
	ctCall(t, a, rootKeyID, rootSecret, "LookupEvents", `{"MaxResults":1}`)
	ctCall(t, b, rootKeyID, rootSecret, "LookupEvents", `{"MaxResults":1}`)
	for _, n := range []*server{a, b} {
		got := map[string]bool{}
		for _, e := range allEvents(t, n, `,"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}]`) {
			for _, r := range e["Resources"].([]any) {
				got[r.(map[string]any)["ResourceName"].(string)] = true
			}
		}
		if !got["from-a"] || !got["from-b"] {
			t.Errorf("node %s sees CreateUser of %v, want from-a and from-b", n.URL, got)
		}
	}
}

package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// devServer is `warden serve --dev` with the test's root key and extra args.
func devServer(t *testing.T, args ...string) *server {
	t.Helper()
	return startServer(t, append([]string{"--dev"}, args...), nil)
}

// trustDoc is a trust policy admitting principal (an AWS principal string).
func trustDoc(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal +
		`"},"Action":"sts:AssumeRole"}]}`
}

var userIDPattern = regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`)

// TestE2EDevIdentity: unknown well-signed credentials are the virtual IAM
// user dev with AdministratorAccess, not the root user; it is not stored,
// listed or counted; its ID is stable; root needs root's real key.
func TestE2EDevIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := devServer(t)
	dev := s.stsClient("AKIAANYTHINGATALL001", "any-secret")
	id := res(dev.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Arn) != userARN("/", "dev") || !userIDPattern.MatchString(aws.ToString(id.UserId)) {
		t.Fatalf("dev identity = %s %s, want %s with an AIDA ID", aws.ToString(id.Arn), aws.ToString(id.UserId), userARN("/", "dev"))
	}
	// Other made-up credentials are the same user, with the same ID.
	other := res(s.stsClient("AKIASOMETHINGELSE002", "x").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(other.UserId) != aws.ToString(id.UserId) {
		t.Errorf("two made-up keys are users %s and %s", aws.ToString(id.UserId), aws.ToString(other.UserId))
	}
	// Root is root only with root's key.
	rid := res(s.stsClient(rootKeyID, rootSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(rid.Arn) != "arn:aws:iam::"+testAccount+":root" {
		t.Errorf("root's key is %s", aws.ToString(rid.Arn))
	}

	// An administrator: it manages IAM.
	ic := s.iamClient("AKIAANYTHINGATALL001", "any-secret")
	createUser(t, ic, "alice")
	res(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})).must(t)
	res(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})).must(t)
	u := res(ic.GetUser(ctx, &iam.GetUserInput{})).must(t).User
	if aws.ToString(u.Arn) != userARN("/", "dev") || aws.ToString(u.UserId) != aws.ToString(id.UserId) {
		t.Errorf("GetUser without a name = %s %s", aws.ToString(u.Arn), aws.ToString(u.UserId))
	}
	// Not stored: not listed, not counted, not gettable by name.
	users := res(s.root().ListUsers(ctx, &iam.ListUsersInput{})).must(t).Users
	if len(users) != 1 || aws.ToString(users[0].UserName) != "alice" {
		t.Errorf("ListUsers = %d users, want only alice", len(users))
	}
	sum := res(s.root().GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})).must(t).SummaryMap
	if sum["Users"] != 1 {
		t.Errorf("GetAccountSummary Users = %d, want 1", sum["Users"])
	}
	_, err := s.root().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev")})
	wantErr(t, err, "NoSuchEntity", 404)
	// Not stored, so it holds no keys of its own.
	_, err = ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantErr(t, err, "NoSuchEntity", 404)

	// The same ID on another server of the same account.
	s2 := devServer(t)
	id2 := res(s2.stsClient("AKIAANYTHINGATALL001", "any-secret").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id2.UserId) != aws.ToString(id.UserId) {
		t.Errorf("dev user ID changed between servers: %s, %s", aws.ToString(id.UserId), aws.ToString(id2.UserId))
	}
}

// TestE2EDevUserName: --dev-user and WARDEN_DEV_USER name the dev user.
func TestE2EDevUserName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, s := range []*server{devServer(t, "--dev-user", "ci-bot"), startServer(t, []string{"--dev"}, map[string]string{"WARDEN_DEV_USER": "ci-bot"})} {
		id := res(s.stsClient("AKIAANYTHINGATALL001", "x").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		if aws.ToString(id.Arn) != userARN("/", "ci-bot") {
			t.Errorf("dev identity = %s, want %s", aws.ToString(id.Arn), userARN("/", "ci-bot"))
		}
	}
	var out, errOut syncBuffer
	err := run(ctx, []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--dev-user", "not a name"}, func(string) string { return "" }, &out, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "--dev-user") {
		t.Errorf("serve --dev-user 'not a name' = %v, want a refusal naming --dev-user", err)
	}
}

// TestE2EDevAssumeRole: the dev user assumes roles whose trust policy admits
// it by account or by its ARN, and not others; its GetSessionToken session
// works and keeps its permissions.
func TestE2EDevAssumeRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := devServer(t)
	ic := s.iamClient("AKIAANYTHINGATALL001", "x")
	st := s.stsClient("AKIAANYTHINGATALL001", "x")
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	// A trust policy may name only users that exist (the virtual dev user
	// counts as one).
	res(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("someone")})).must(t)
	for name, principal := range map[string]string{"by-account": "arn:aws:iam::" + testAccount + ":root",
		"by-arn": userARN("/", "dev"), "other-user": userARN("/", "someone")} {
		res(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustDoc(principal))})).must(t)
		res(ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(admin)})).must(t)
	}
	for _, name := range []string{"by-account", "by-arn"} {
		out := res(st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/" + name),
			RoleSessionName: aws.String("s1")})).must(t)
		c := out.Credentials
		rs := sts.NewFromConfig(s.config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
		who := res(rs.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + name + "/s1"; aws.ToString(who.Arn) != want {
			t.Errorf("role session of %s is %s, want %s", name, aws.ToString(who.Arn), want)
		}
	}
	_, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/other-user"),
		RoleSessionName: aws.String("s1")})
	wantErr(t, err, "AccessDenied", 403)

	// GetSessionToken: the session is the dev user, and may assume roles.
	tok := res(st.GetSessionToken(ctx, &sts.GetSessionTokenInput{})).must(t).Credentials
	ts := sts.NewFromConfig(s.config(*tok.AccessKeyId, *tok.SecretAccessKey, *tok.SessionToken), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
	who := res(ts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(who.Arn) != userARN("/", "dev") {
		t.Errorf("GetSessionToken session is %s", aws.ToString(who.Arn))
	}
	res(ts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/by-arn"),
		RoleSessionName: aws.String("s2")})).must(t)
	// The wrong token for the session's key is refused, not taken for the dev user.
	bad := sts.NewFromConfig(s.config(*tok.AccessKeyId, *tok.SecretAccessKey, "forged"+*tok.SessionToken), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
	_, err = bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
}

// TestE2EDevCreatedKeysEnforced: keys created in dev mode are checked and
// enforced as anywhere else.
func TestE2EDevCreatedKeysEnforced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := devServer(t)
	dev := s.iamClient("AKIAANYTHINGATALL001", "x")
	createUser(t, dev, "reader")
	res(dev.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("reader"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})).must(t)
	k := res(dev.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")})).must(t).AccessKey
	reader := s.iamClient(*k.AccessKeyId, *k.SecretAccessKey)
	res(reader.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	_, err := reader.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantErrMessage(t, err, "AccessDenied", 403, "User: "+userARN("/", "reader")+" is not authorized to perform: iam:CreateUser")
	_, err = s.iamClient(*k.AccessKeyId, "wrong-secret-0123456789012345678901234567").ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)
	_, err = s.iamClient(rootKeyID, "not-root's-secret").ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)
}

// TestE2EDevSoftEnforcementLogs: --enforce soft lets a denied request
// through and logs the would-be denial with the deciding statement.
func TestE2EDevSoftEnforcementLogs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := devServer(t, "--enforce", "soft")
	dev := s.iamClient("AKIAANYTHINGATALL001", "x")
	createUser(t, dev, "limited")
	res(dev.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("limited"), PolicyName: aws.String("nope"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoGroups","Effect":"Deny","Action":"iam:CreateGroup","Resource":"*"}]}`)})).must(t)
	k := res(dev.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("limited")})).must(t).AccessKey
	limited := s.iamClient(*k.AccessKeyId, *k.SecretAccessKey)
	res(limited.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("let-through")})).must(t)
	log := s.Stderr.String()
	var line string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, `"msg":"access denied"`) && strings.Contains(l, "iam:CreateGroup") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no would-be denial of iam:CreateGroup logged:\n%s", log)
	}
	for _, want := range []string{`"enforced":false`, `"decision":"ExplicitDeny"`, `user/limited/nope#0(NoGroups)`, `"principal":"` + userARN("/", "limited") + `"`} {
		if !strings.Contains(line, want) {
			t.Errorf("denial log line lacks %s:\n%s", want, line)
		}
	}
}

// TestE2EDevRefusesUnsignedAndCrossSite: --dev still wants a well-formed
// signature at the right time and refuses requests a web page made a browser
// send.
func TestE2EDevRefusesUnsignedAndCrossSite(t *testing.T) {
	t.Parallel()
	s := devServer(t)
	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	// No signature at all, in the body or a GET.
	status, body, h := send(t, formRequest(t, s, form))
	wantErrorResponse(t, status, body, h, 403, "MissingAuthenticationToken")
	get, _ := http.NewRequest(http.MethodGet, s.URL+"/?"+form.Encode(), nil)
	status, body, h = send(t, get)
	wantErrorResponse(t, status, body, h, 403, "MissingAuthenticationToken")
	// A presigned-style query without its signature.
	now := time.Now().UTC()
	q := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}, "X-Amz-Algorithm": {"AWS4-HMAC-SHA256"},
		"X-Amz-Credential": {"AKIAFAKEFAKEFAKE0001/" + now.Format("20060102") + "/us-east-1/sts/aws4_request"},
		"X-Amz-Date":       {now.Format("20060102T150405Z")}, "X-Amz-SignedHeaders": {"host"}}
	get, _ = http.NewRequest(http.MethodGet, s.URL+"/?"+q.Encode(), nil)
	status, body, h = send(t, get)
	wantErrorResponse(t, status, body, h, 400, "IncompleteSignature")
	// With a signature that no signer makes.
	q.Set("X-Amz-Signature", "not-a-signature")
	get, _ = http.NewRequest(http.MethodGet, s.URL+"/?"+q.Encode(), nil)
	status, body, h = send(t, get)
	wantErrorResponse(t, status, body, h, 403, "SignatureDoesNotMatch")
	// Signed an hour ago.
	req := formRequest(t, s, form)
	sign(t, req, form, "sts", "AKIAFAKEFAKEFAKE0001", "x", time.Now().Add(-time.Hour))
	status, body, h = send(t, req)
	wantErrorResponse(t, status, body, h, 400, "RequestExpired")

	// Well signed, but sent by a browser for a page of another origin.
	for name, hdr := range map[string][2]string{"cross-site origin": {"Origin", "https://evil.example"},
		"null origin": {"Origin", "null"}, "other port": {"Origin", "http://127.0.0.1:1"},
		"sec-fetch-site": {"Sec-Fetch-Site", "cross-site"}} {
		req := formRequest(t, s, form)
		req.Header.Set(hdr[0], hdr[1])
		sign(t, req, form, "sts", "AKIAFAKEFAKEFAKE0001", "x", time.Now())
		status, body, h := send(t, req)
		if e := wantErrorResponse(t, status, body, h, 403, "AccessDenied"); !strings.Contains(e.Error.Message, "Cross-site") {
			t.Errorf("%s: message %q", name, e.Error.Message)
		}
	}
	// The console's own origin is fine.
	req = formRequest(t, s, form)
	req.Header.Set("Origin", s.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	sign(t, req, form, "sts", "AKIAFAKEFAKEFAKE0001", "x", time.Now())
	if status, body, _ := send(t, req); status != 200 {
		t.Errorf("same-origin request = %d %s", status, body)
	}
	// A presigned URL of made-up credentials still works (CLI presign, SDKs).
	get, _ = http.NewRequest(http.MethodGet, s.URL+"/?"+form.Encode(), nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAFAKEFAKEFAKE0001", SecretAccessKey: "x"},
		get, payloadHash(""), "sts", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	get, _ = http.NewRequest(http.MethodGet, u, nil)
	if status, body, _ := send(t, get); status != 200 || !strings.Contains(body, userARN("/", "dev")) {
		t.Errorf("presigned GetCallerIdentity of made-up credentials = %d %s", status, body)
	}
}

// TestDevListensOnLoopback: --dev binds 127.0.0.1 unless --addr (or
// WARDEN_ADDR) says otherwise; production keeps :8080.
func TestDevListensOnLoopback(t *testing.T) {
	for _, c := range []struct {
		addr       string
		given, dev bool
		want       string
	}{
		{":8080", false, true, "127.0.0.1:8080"},
		{"0.0.0.0:9000", true, true, "0.0.0.0:9000"},
		{":8080", false, false, ":8080"},
	} {
		if got := listenAddr(c.addr, c.given, c.dev); got != c.want {
			t.Errorf("listenAddr(%q, given %v, dev %v) = %q, want %q", c.addr, c.given, c.dev, got, c.want)
		}
	}
}

// reset POSTs to path and returns the status.
func reset(t *testing.T, s *server, path string) int {
	t.Helper()
	resp, err := http.Post(s.URL+path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestE2EDevReset: POST /warden/reset and /moto-api/reset wipe the store
// back to the bootstrap state; outside --dev they do not exist.
func TestE2EDevReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := devServer(t)
	for _, path := range []string{"/warden/reset", "/moto-api/reset"} {
		dev := s.iamClient("AKIAANYTHINGATALL001", "x")
		createUser(t, dev, "temp")
		k := res(dev.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("temp")})).must(t).AccessKey
		temp := s.stsClient(*k.AccessKeyId, *k.SecretAccessKey)
		if who := res(temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t); aws.ToString(who.Arn) != userARN("/", "temp") {
			t.Fatalf("temp's key is %s", aws.ToString(who.Arn))
		}
		res(dev.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-alias")})).must(t)
		if got := reset(t, s, path); got != 200 {
			t.Fatalf("POST %s = %d", path, got)
		}
		if users := res(s.root().ListUsers(ctx, &iam.ListUsersInput{})).must(t).Users; len(users) != 0 {
			t.Errorf("after %s: %d users", path, len(users))
		}
		if al := res(s.root().ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})).must(t).AccountAliases; len(al) != 0 {
			t.Errorf("after %s: aliases %v", path, al)
		}
		// The deleted user's key is now unknown: the dev user, no longer temp
		// (the credential cache was dropped).
		if who := res(temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t); aws.ToString(who.Arn) != userARN("/", "dev") {
			t.Errorf("after %s the deleted user's key is %s", path, aws.ToString(who.Arn))
		}
		// Root and its key are back, as bootstrapped.
		if who := res(s.stsClient(rootKeyID, rootSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t); aws.ToString(who.Arn) != "arn:aws:iam::"+testAccount+":root" {
			t.Errorf("after %s root's key is %s", path, aws.ToString(who.Arn))
		}
	}
	// Cross-site pages may not reset.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/warden/reset", nil)
	req.Header.Set("Origin", "https://evil.example")
	if status, _, _ := send(t, req); status != 403 {
		t.Errorf("cross-site reset = %d, want 403", status)
	}
	// Not in production.
	p := startServer(t, nil, nil)
	createUser(t, p.root(), "kept")
	for _, path := range []string{"/warden/reset", "/moto-api/reset"} {
		if got := reset(t, p, path); got != 404 {
			t.Errorf("POST %s outside --dev = %d, want 404", path, got)
		}
	}
	if users := res(p.root().ListUsers(ctx, &iam.ListUsersInput{})).must(t).Users; len(users) != 1 {
		t.Errorf("outside --dev a reset request left %d users, want 1", len(users))
	}
}

// TestE2EDevConcurrentUserWrites: IAM users with keys write concurrently in
// --dev, each request answered without a 5xx.
func TestE2EDevConcurrentUserWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := devServer(t)
	dev := s.iamClient("AKIAANYTHINGATALL001", "x")
	const writers, each = 8, 10
	clients := make([]*iam.Client, writers)
	for i := range clients {
		name := "writer" + string(rune('a'+i))
		createUser(t, dev, name)
		res(dev.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name),
			PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")})).must(t)
		k := res(dev.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})).must(t).AccessKey
		clients[i] = s.iamClient(*k.AccessKeyId, *k.SecretAccessKey)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				name := "u" + string(rune('a'+i)) + "-" + string(rune('a'+j))
				if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
					errs <- err
					continue
				}
				if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"),
					PolicyDocument: aws.String(allowDoc("iam:GetUser"))}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	users := res(dev.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})).must(t).Users
	if len(users) != writers+writers*each {
		t.Errorf("%d users after the writes, want %d", len(users), writers+writers*each)
	}
}

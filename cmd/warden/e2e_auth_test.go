package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// errorResponse is AWS's Query error document.
type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// formRequest builds a form POST of form to the server.
func formRequest(t *testing.T, s *server, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return req
}

func payloadHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// sign signs req (whose body is form) with SigV4 for service at time at.
func sign(t *testing.T, req *http.Request, form url.Values, service, keyID, secret string, at time.Time) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash(form.Encode()), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
}

// send performs req and returns the status, body and headers.
func send(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

// rawCall sends form signed now for service with the given credentials.
func rawCall(t *testing.T, s *server, service, keyID, secret string, form url.Values) (int, string) {
	t.Helper()
	req := formRequest(t, s, form)
	sign(t, req, form, service, keyID, secret, time.Now())
	status, body, _ := send(t, req)
	return status, body
}

// wantErrorResponse checks an <ErrorResponse> as AWS writes it: the status,
// a Sender fault with the code and a message, and the request ID both in the
// body and in x-amzn-RequestId.
func wantErrorResponse(t *testing.T, status int, body string, h http.Header, wantStatus int, wantCode string) *errorResponse {
	t.Helper()
	var e errorResponse
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("status %d, body is not an <ErrorResponse>: %v\n%s", status, err, body)
	}
	if status != wantStatus || e.Error.Code != wantCode {
		t.Fatalf("got %d %s (%s), want %d %s", status, e.Error.Code, e.Error.Message, wantStatus, wantCode)
	}
	if e.Error.Type != "Sender" {
		t.Errorf("Type = %q, want Sender", e.Error.Type)
	}
	if e.Error.Message == "" {
		t.Error("no Message")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(e.RequestID) {
		t.Errorf("RequestId = %q, want a UUID", e.RequestID)
	}
	if got := h.Get("X-Amzn-Requestid"); got != e.RequestID {
		t.Errorf("x-amzn-RequestId = %q, body RequestId %q", got, e.RequestID)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("Content-Type = %q", ct)
	}
	return &e
}

func TestE2EAuthErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	listUsers := url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}}
	signed := func(form url.Values, service, keyID, secret string, at time.Time) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			req := formRequest(t, s, form)
			sign(t, req, form, service, keyID, secret, at)
			return req
		}
	}
	now := time.Now()
	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		status  int
		code    string
		message string // a part of the message, when it matters
	}{
		{"no Authorization", func(t *testing.T) *http.Request { return formRequest(t, s, listUsers) },
			403, "MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"unknown key", signed(listUsers, "iam", "AKIAUNKNOWNKEY000000", rootSecret, now),
			403, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"wrong secret", signed(listUsers, "iam", rootKeyID, "wrong"+rootSecret[5:], now),
			403, "SignatureDoesNotMatch", ""},
		// A request signed outside ±15 minutes is SignatureDoesNotMatch
		// (403), with the "Signature expired: ..." explanation, as IAM
		// answers (aws-cli issue 6676).
		{"signed 20 minutes ago", signed(listUsers, "iam", rootKeyID, rootSecret, now.Add(-20*time.Minute)),
			403, "SignatureDoesNotMatch", "Signature expired: "},
		{"signed 20 minutes ahead", signed(listUsers, "iam", rootKeyID, rootSecret, now.Add(20*time.Minute)),
			403, "SignatureDoesNotMatch", "Signature not yet current: "},
		{"malformed Authorization", func(t *testing.T) *http.Request {
			req := formRequest(t, s, listUsers)
			req.Header.Set("X-Amz-Date", now.UTC().Format("20060102T150405Z"))
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+rootKeyID+"/"+now.UTC().Format("20060102")+"/us-east-1/iam/aws4_request")
			return req
		}, 400, "IncompleteSignature", "Signature"},
		{"Authorization without key=value", func(t *testing.T) *http.Request {
			req := formRequest(t, s, listUsers)
			req.Header.Set("X-Amz-Date", now.UTC().Format("20060102T150405Z"))
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
			return req
		}, 400, "IncompleteSignature", ""},
		{"body changed after signing", func(t *testing.T) *http.Request {
			req := signed(listUsers, "iam", rootKeyID, rootSecret, now)(t)
			tampered := url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "MaxItems": {"1"}}.Encode()
			req.Body = io.NopCloser(strings.NewReader(tampered))
			req.ContentLength = int64(len(tampered))
			return req
		}, 403, "SignatureDoesNotMatch", ""},
		{"credential scoped to another service", signed(listUsers, "s3", rootKeyID, rootSecret, now),
			403, "SignatureDoesNotMatch", ""},
		{"unknown Action", signed(url.Values{"Action": {"MakeCoffee"}, "Version": {"2010-05-08"}}, "iam", rootKeyID, rootSecret, now),
			400, "InvalidAction", "MakeCoffee"},
		{"IAM action at the STS endpoint", signed(url.Values{"Action": {"ListUsers"}, "Version": {"2011-06-15"}}, "sts", rootKeyID, rootSecret, now),
			400, "InvalidAction", ""},
		{"missing Action", signed(url.Values{"Version": {"2010-05-08"}}, "iam", rootKeyID, rootSecret, now),
			400, "MissingAction", ""},
		{"missing Version", signed(url.Values{"Action": {"ListUsers"}}, "iam", rootKeyID, rootSecret, now),
			400, "MissingParameter", "Version"},
		{"unknown Version", signed(url.Values{"Action": {"ListUsers"}, "Version": {"2099-01-01"}}, "iam", rootKeyID, rootSecret, now),
			400, "InvalidAction", ""},
		{"bad parameter", signed(url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "MaxItems": {"many"}}, "iam", rootKeyID, rootSecret, now),
			400, "ValidationError", "maxItems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, h := send(t, tt.req(t))
			e := wantErrorResponse(t, status, body, h, tt.status, tt.code)
			if !strings.Contains(e.Error.Message, tt.message) {
				t.Errorf("Message = %q, want it to mention %q", e.Error.Message, tt.message)
			}
		})
	}

	t.Run("signed request works", func(t *testing.T) {
		status, body := rawCall(t, s, "iam", rootKeyID, rootSecret, listUsers)
		if status != 200 || !strings.Contains(body, "<ListUsersResponse") || !strings.Contains(body, "<IsTruncated>false</IsTruncated>") {
			t.Fatalf("ListUsers = %d %s", status, body)
		}
		status, body = rawCall(t, s, "sts", rootKeyID, rootSecret, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
		if status != 200 || !strings.Contains(body, "<Arn>arn:aws:iam::"+testAccount+":root</Arn>") {
			t.Fatalf("GetCallerIdentity = %d %s", status, body)
		}
	})
}

func TestE2EPresignedGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	presign := func(t *testing.T, service, query string) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.URL+"/?"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		u, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret},
			req, payloadHash(""), service, "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	get := func(t *testing.T, u string) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return send(t, req)
	}

	u := presign(t, "iam", "Action=GetUser&Version=2010-05-08")
	if !strings.Contains(u, "X-Amz-Signature=") {
		t.Fatalf("not a presigned URL: %s", u)
	}
	status, body, _ := get(t, u)
	if status != 200 || !strings.Contains(body, "<GetUserResponse") || !strings.Contains(body, "<Arn>arn:aws:iam::"+testAccount+":root</Arn>") {
		t.Fatalf("presigned GetUser = %d %s", status, body)
	}
	status, body, _ = get(t, presign(t, "sts", "Action=GetCallerIdentity&Version=2011-06-15"))
	if status != 200 || !strings.Contains(body, "<Account>"+testAccount+"</Account>") {
		t.Fatalf("presigned GetCallerIdentity = %d %s", status, body)
	}
	// Changing a signed parameter breaks the signature.
	status, body, h := get(t, strings.Replace(u, "Action=GetUser", "Action=ListUsers", 1))
	wantErrorResponse(t, status, body, h, 403, "SignatureDoesNotMatch")
}

func TestE2EAccessDenied(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	_, user := userWithKey(t, s, "plain")
	grantSelfService(t, s.root(), "plain")
	createUser(t, s.root(), "neighbour")

	denied := []struct {
		name   string
		call   func() error
		action string
	}{
		{"CreateUser", func() error {
			_, err := user.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("made-by-plain")})
			return err
		}, "iam:CreateUser"},
		{"ListUsers", func() error {
			_, err := user.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, "iam:ListUsers"},
		{"GetUser of another user", func() error {
			_, err := user.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("neighbour")})
			return err
		}, "iam:GetUser"},
		{"GetUser of a missing user", func() error {
			_, err := user.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ghost")})
			return err
		}, "iam:GetUser"},
		{"ListAccessKeys of another user", func() error {
			_, err := user.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("neighbour")})
			return err
		}, "iam:ListAccessKeys"},
		{"CreateAccessKey for itself", func() error {
			_, err := user.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
			return err
		}, "iam:CreateAccessKey"},
		{"DeleteUser of another user", func() error {
			_, err := user.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("neighbour")})
			return err
		}, "iam:DeleteUser"},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantErr(t, err, "AccessDenied", 403)
			if msg := err.Error(); !strings.Contains(msg, userARN("/", "plain")) || !strings.Contains(msg, tt.action) {
				t.Errorf("message does not name the caller and %s: %s", tt.action, msg)
			}
		})
	}
	// Nothing was done, and what it may do still works.
	_, err := s.root().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("made-by-plain")})
	wantErr(t, err, "NoSuchEntity", 404)
	res(s.root().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("neighbour")})).must(t)
	if u := res(user.GetUser(ctx, &iam.GetUserInput{})).must(t).User; aws.ToString(u.UserName) != "plain" {
		t.Errorf("self GetUser = %s", aws.ToString(u.UserName))
	}
	res(user.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})).must(t)
}

// runServer boots run with exactly args and env and returns the server (Data
// is data, which the caller passes in args when it wants one) and a function
// that stops it and waits for it to exit. It also stops at cleanup.
func runServer(t *testing.T, data string, args []string, env map[string]string) (*server, func()) {
	t.Helper()
	s := &server{Data: data, Stdout: &syncBuffer{}, Stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, s.Stdout, s.Stderr, func(a string) { ready <- a })
	}()
	select {
	case addr := <-ready:
		s.URL = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, s.Stderr.String())
	}
	stopped := false
	stop := func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	}
	t.Cleanup(stop)
	return s, stop
}

func TestE2EDevMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, []string{"--dev"}, nil)
	if !strings.Contains(s.Stderr.String(), "WARNING: --dev mode") {
		t.Errorf("no --dev warning in the log:\n%s", s.Stderr.String())
	}

	id := res(s.stsClient("AKIAFAKEFAKEFAKE0001", "any-secret-at-all").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Account) != testAccount || aws.ToString(id.Arn) != "arn:aws:iam::"+testAccount+":user/dev" {
		t.Errorf("made-up credentials are %s %s, want the dev user of %s", aws.ToString(id.Account), aws.ToString(id.Arn), testAccount)
	}
	fake := s.iamClient("AKIAFAKEFAKEFAKE0002", "x")
	res(fake.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev-user")})).must(t)
	res(s.root().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dev-user")})).must(t)

	// A well-formed signature is accepted for a made-up key, whatever its value.
	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}
	req := formRequest(t, s, form)
	sign(t, req, form, "sts", "AKIAFAKEFAKEFAKE0003", "whatever", time.Now())
	auth := req.Header.Get("Authorization")
	req.Header.Set("Authorization", auth[:strings.LastIndex(auth, "Signature=")]+"Signature="+strings.Repeat("0", 64))
	status, body, _ := send(t, req)
	if status != 200 || !strings.Contains(body, "<Account>"+testAccount+"</Account>") {
		t.Errorf("made-up key with a bogus signature = %d %s", status, body)
	}

	// Known keys are still checked, and requests must still be signed.
	_, err := s.iamClient(rootKeyID, "wrong"+rootSecret[5:]).ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)
	status, body, h := send(t, formRequest(t, s, form))
	wantErrorResponse(t, status, body, h, 403, "MissingAuthenticationToken")
}

func TestE2EDevModeDefaultAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := runServer(t, "", []string{"serve", "--dev", "--addr", "127.0.0.1:0"}, nil)
	id := res(s.stsClient("AKIAFAKEFAKEFAKE0001", "secret").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Account) != "000000000000" || aws.ToString(id.Arn) != "arn:aws:iam::000000000000:user/dev" {
		t.Errorf("dev identity = %s %s, want the dev user of 000000000000", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	u := res(s.iamClient("AKIAFAKEFAKEFAKE0001", "secret").CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("local")})).must(t).User
	if aws.ToString(u.Arn) != "arn:aws:iam::000000000000:user/local" {
		t.Errorf("user ARN in dev mode = %s", aws.ToString(u.Arn))
	}
}

// TestE2ENoSecretsAtRest checks that no secret access key or password is
// stored or logged in clear.
func TestE2ENoSecretsAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := t.TempDir()
	// No WARDEN_ROOT_PASSWORD: the server generates one and prints it once.
	env := map[string]string{"WARDEN_ROOT_ACCESS_KEY_ID": rootKeyID, "WARDEN_ROOT_SECRET_ACCESS_KEY": rootSecret}
	s, stop := runServer(t, data, []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--account-id", testAccount}, env)
	const pwLine = "Root password (shown once, store it safely): "
	var generated string
	var stdout []string
	for _, line := range strings.Split(s.Stdout.String(), "\n") {
		if p, ok := strings.CutPrefix(line, pwLine); ok {
			generated = p
			continue
		}
		stdout = append(stdout, line)
	}
	if len(generated) < 16 {
		t.Fatalf("no generated root password printed:\n%s", s.Stdout.String())
	}
	secrets := map[string]string{"root secret": rootSecret, "generated root password": generated}

	root := s.root()
	for i, name := range []string{"holder-one", "holder-two"} {
		createUser(t, root, name)
		grantSelfService(t, root, name)
		k := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})).must(t).AccessKey
		secrets[name+" secret"] = *k.SecretAccessKey
		pw := "Pw-" + name + "-Zq9x!" + string(rune('a'+i))
		secrets[name+" password"] = pw
		res(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String(pw)})).must(t)
		// Use the key, so that its last use is recorded too.
		user := s.iamClient(*k.AccessKeyId, *k.SecretAccessKey)
		res(user.GetUser(ctx, &iam.GetUserInput{})).must(t)
		newPW := "Changed-" + name + "-Wv7!"
		secrets[name+" changed password"] = newPW
		_, err := user.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Not-" + pw), NewPassword: aws.String(newPW)})
		wantErr(t, err, "AccessDenied", 403)
		secrets[name+" wrong old password"] = "Not-" + pw
		res(user.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(pw), NewPassword: aws.String(newPW)})).must(t)
		reset := "Reset-" + name + "-Ht4$"
		secrets[name+" reset password"] = reset
		res(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String(name), Password: aws.String(reset)})).must(t)
	}
	// A root key made through the API, then deleted to make room for the CLI's.
	rootKey := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})).must(t).AccessKey
	secrets["API root secret"] = *rootKey.SecretAccessKey
	res(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: rootKey.AccessKeyId})).must(t)

	// Refused passwords must not be kept or echoed either.
	createUser(t, root, "refused")
	weak := "weakpassword"
	secrets["refused weak password"] = weak
	_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("refused"), Password: aws.String(weak)})
	wantErr(t, err, "PasswordPolicyViolation", 400)
	long := "Too-long-Pw1-" + strings.Repeat("q", 150)
	secrets["refused long password"] = long
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("refused"), Password: aws.String(long)})
	wantErr(t, err, "ValidationError", 400)
	if strings.Contains(err.Error(), long) {
		t.Errorf("ValidationError echoes the password: %v", err)
	}

	// A root key made by the administration command while the server runs.
	var cliOut, cliErr bytes.Buffer
	if err := run(ctx, []string{"root", "access-key", "create", "--account-id", testAccount, "--data", data}, func(string) string { return "" }, &cliOut, &cliErr, nil); err != nil {
		t.Fatalf("root access-key create: %v\n%s", err, cliErr.String())
	}
	_, cliSecret := parsePrintedKey(t, cliOut.String())
	secrets["CLI root secret"] = cliSecret

	scan := func(when string) {
		t.Helper()
		var all []byte
		files := 0
		err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			for what, secret := range secrets {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s: %s is in clear in %s", when, what, filepath.Base(path))
				}
			}
			all = append(all, b...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The scan must see the data: names are stored in clear.
		if files == 0 || !bytes.Contains(all, []byte("holder-two")) {
			t.Fatalf("%s: the scan of %d files did not find the stored user names", when, files)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "warden.db")); err != nil {
		t.Fatalf("no database file: %v", err)
	}
	scan("while running")
	stop()
	scan("after stopping")

	logs := s.Stderr.String() + strings.Join(stdout, "\n") + cliErr.String()
	if !strings.Contains(logs, "CreateLoginProfile") {
		t.Fatalf("the request log is missing; nothing to check:\n%s", logs)
	}
	for what, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("%s appears in the logs", what)
		}
	}
}

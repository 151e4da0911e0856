package main

// The real aws CLI with role profiles: role_arn, source_profile, external_id
// and mfa_serial, as a user writes them for AWS.
//
// Where the CLI sends the AssumeRole of a profile. The Debian CLI (2.9.19,
// with its own copy of botocore) resolves a role profile's credentials
// lazily, when the command's first request is signed, through botocore's
// AssumeRoleProvider. That provider makes its STS client with
// session.create_client("sts", region_name=...), without the command's
// --endpoint-url, which reaches only the client of the command itself. So
// `aws --endpoint-url URL iam list-users --profile deployer` sends ListUsers
// to URL but the AssumeRole to https://sts.us-east-1.amazonaws.com/ (STS's
// endpoint in the profile's region; v2 ignores sts_regional_endpoints=legacy).
// A profile's endpoint_url, the [services] section and AWS_ENDPOINT_URL(_STS)
// came with CLI 2.13; 2.9 reads none of them and has no other per-service
// endpoint setting. It does honour HTTPS_PROXY and AWS_CA_BUNDLE, so the test
// answers the AssumeRole where the CLI sends it: stsTunnel is a CONNECT proxy
// on 127.0.0.1 that admits only the STS host name, terminates TLS with a
// certificate for it from a CA the test makes, and pipes the bytes unchanged
// to Warden. The request Warden verifies is the one the CLI signed for AWS's
// own host.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/creack/pty"

	"github.com/warden-iam/warden/totp"
)

// stsHost is where the CLI sends a profile's AssumeRole in us-east-1.
const stsHost = "sts.us-east-1.amazonaws.com"

// stsTunnel is an HTTPS proxy that reaches only STS, and STS is Warden.
type stsTunnel struct {
	t       *testing.T
	backend string // Warden's host:port
	tls     *tls.Config
	caFile  string // PEM of the CA that signed the STS certificate
	URL     string

	mu      sync.Mutex
	targets []string // CONNECT targets, in order
	conns   []net.Conn
	wg      sync.WaitGroup
}

func startSTSTunnel(t *testing.T, s *server) *stsTunnel {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	cert, caFile := stsCertificate(t)
	p := &stsTunnel{t: t, backend: u.Host, caFile: caFile,
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	hs := httptest.NewServer(p)
	p.URL = hs.URL
	t.Cleanup(func() {
		hs.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// ServeHTTP answers CONNECT to stsHost and pipes the TLS-terminated bytes
// to Warden; anything else is refused, and fails the test.
func (p *stsTunnel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, port, _ := net.SplitHostPort(r.Host)
	if r.Method != http.MethodConnect || host != stsHost || port != "443" {
		p.t.Errorf("the aws CLI asked the proxy for %s %s; only STS was expected", r.Method, r.Host)
		http.Error(w, "this proxy reaches only STS", http.StatusForbidden)
		return
	}
	back, err := net.Dial("tcp", p.backend)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	client, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		back.Close()
		p.t.Errorf("hijack: %v", err)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.conns = append(p.conns, client, back)
	p.wg.Add(1)
	p.mu.Unlock()
	defer p.wg.Done()
	defer back.Close()
	defer client.Close()
	// The client speaks TLS only after the 200, so nothing is buffered yet.
	if buf.Reader.Buffered() > 0 {
		p.t.Errorf("the aws CLI sent %d bytes before the proxy answered CONNECT", buf.Reader.Buffered())
		return
	}
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	front := tls.Server(client, p.tls)
	done := make(chan struct{}, 2)
	go func() { io.Copy(back, front); done <- struct{}{} }()
	go func() { io.Copy(front, back); done <- struct{}{} }()
	<-done
}

// Targets returns the hosts the CLI tunnelled to so far.
func (p *stsTunnel) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets)
}

// stsCertificate makes a CA and, signed by it, a server certificate for the
// STS host name; it returns the latter and a file holding the CA's PEM.
func stsCertificate(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Warden test STS CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: stsHost}, DNSNames: []string{stsHost},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "sts-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

// cliSandbox runs /usr/bin/aws against one server with a configuration,
// credentials and HOME (so the ~/.aws/cli/cache of assumed roles) of its own.
type cliSandbox struct {
	url    string
	home   string
	env    []string
	tunnel *stsTunnel
}

// newCLISandbox writes config and credentials (INI text) for the CLI.
func newCLISandbox(t *testing.T, s *server, config, credentials string) *cliSandbox {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the aws CLI is required at %s (apt-get install awscli, or run ./scripts/test.sh): %v", awsCLI, err)
	}
	home := t.TempDir()
	files := map[string]string{"config": config, "credentials": credentials}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(home, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tunnel := startSTSTunnel(t, s)
	return &cliSandbox{url: s.URL, home: home, tunnel: tunnel, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + home,
		"LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CA_BUNDLE=" + tunnel.caFile,
		"HTTPS_PROXY=" + tunnel.URL,
	}}
}

// command is the CLI with args, in a session of its own: without a
// controlling terminal an MFA prompt reads standard input, which is empty,
// instead of waiting on the terminal of whoever runs the tests.
func (c *cliSandbox) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", c.url}, args...)...)
	cmd.Env = append(slices.Clone(c.env), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// cliResult is what one run of the CLI printed.
type cliResult struct {
	args   []string
	stdout string
	stderr string
	err    error
}

func (r cliResult) String() string {
	return "aws " + strings.Join(r.args, " ") + ": " + errString(r.err) + "\nstdout: " + r.stdout + "\nstderr: " + r.stderr
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// run runs the CLI with extra environment (KEY=value) and args.
func (c *cliSandbox) run(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := c.command(ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return cliResult{args: args, stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// runTyped runs the CLI on a pseudo-terminal that is its controlling
// terminal, as at a person's terminal: it waits for the prompt, which
// getpass writes to /dev/tty, then types answer and Enter. Typing ahead would
// not do: getpass flushes pending input when it turns echo off.
func (c *cliSandbox) runTyped(t *testing.T, prompt, answer string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := c.command(ctx, nil, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	term, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("start the aws CLI on a pseudo-terminal: %v", err)
	}
	defer term.Close()
	var screen syncBuffer
	prompted := make(chan struct{})
	go func() {
		var once sync.Once
		b := make([]byte, 512)
		for {
			n, err := term.Read(b)
			screen.Write(b[:n])
			if strings.Contains(screen.String(), prompt) {
				once.Do(func() { close(prompted) })
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-prompted:
		if _, err := io.WriteString(term, answer+"\n"); err != nil {
			t.Fatalf("type the MFA code: %v", err)
		}
		err = <-exited
	case err = <-exited:
		t.Fatalf("aws %s ended without prompting %q: %v\nterminal: %q\nstderr: %s",
			strings.Join(args, " "), prompt, err, screen.String(), stderr.String())
	}
	return cliResult{args: args, stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// ok fails the test unless the run succeeded, and returns its output.
func (r cliResult) ok(t *testing.T) string {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s", r)
	}
	return r.stdout
}

// fails checks that the run failed with an AWS error whose message holds
// each of the parts, as the CLI prints it: "An error occurred (CODE) when
// calling the OPERATION operation: MESSAGE".
func (r cliResult) fails(t *testing.T, code, operation string, parts ...string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("want %s from %s, got success\n%s", code, operation, r)
	}
	if want := "An error occurred (" + code + ") when calling the " + operation + " operation: "; !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr lacks %q\n%s", want, r)
	}
	for _, p := range parts {
		if !strings.Contains(r.stderr, p) {
			t.Fatalf("stderr lacks %q\n%s", p, r)
		}
	}
}

// callerIdentity runs sts get-caller-identity and returns the Arn and
// UserId.
func (c *cliSandbox) callerIdentity(t *testing.T, env []string, args ...string) (arn, userID string) {
	t.Helper()
	r := c.run(t, env, append([]string{"sts", "get-caller-identity", "--output", "json"}, args...)...)
	var id struct{ UserId, Account, Arn string }
	if err := json.Unmarshal([]byte(r.ok(t)), &id); err != nil {
		t.Fatalf("get-caller-identity output: %v\n%s", err, r)
	}
	if id.Account != testAccount {
		t.Errorf("Account = %s", id.Account)
	}
	return id.Arn, id.UserId
}

// cliCredentials are the Credentials of an STS answer as the CLI prints them.
type cliCredentials struct {
	AccessKeyId, SecretAccessKey, SessionToken, Expiration string
}

// env is the environment that makes the CLI sign with these credentials.
func (k cliCredentials) env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + k.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + k.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + k.SessionToken, "AWS_DEFAULT_REGION=us-east-1"}
}

func parseCredentials(t *testing.T, r cliResult) cliCredentials {
	t.Helper()
	var out struct{ Credentials cliCredentials }
	if err := json.Unmarshal([]byte(r.ok(t)), &out); err != nil || !strings.HasPrefix(out.Credentials.AccessKeyId, "ASIA") {
		t.Fatalf("no temporary credentials (%v)\n%s", err, r)
	}
	return out.Credentials
}

// profileAccount is what TestAWSCLIProfiles and TestAWSCLIProfileExpiry set
// up: user dev with an access key, role Deployer that dev may assume with
// external ID ext-123, and role Admin that dev may assume with MFA.
type profileAccount struct {
	key         string // dev's access key ID
	secret      string
	deployerARN string
	adminARN    string
}

const externalID = "ext-123"

// sessionARN matches the ARN of a session the CLI names itself.
func sessionARN(role string) *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws:sts::` + testAccount + `:assumed-role/` + role + `/(botocore-session-[0-9]+)$`)
}

func setUpProfileAccount(t *testing.T, s *server) profileAccount {
	t.Helper()
	ctx := context.Background()
	root := s.root()
	key, _ := userWithKey(t, s, "dev")
	dev := userARN("/", "dev")
	deployer := stsRole(t, root, "Deployer", stsDoc(stsTrust(dev, []string{"sts:AssumeRole"},
		`{"StringEquals":{"sts:ExternalId":"`+externalID+`"}}`)), "")
	read := res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ReadIAM"),
		PolicyDocument: aws.String(stsDoc(stsAllow("*", "iam:List*")))})).must(t)
	res(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Deployer"),
		PolicyArn: read.Policy.Arn})).must(t)
	admin := stsRole(t, root, "Admin", stsDoc(stsTrust(dev, []string{"sts:AssumeRole"},
		`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`)), stsDoc(stsAllow("*", "*")))
	// AWS's "force MFA" pattern: without MFA, deny all but managing one's
	// own MFA, GetSessionToken and (so that the deployer profile works with
	// the long-term key) AssumeRole.
	putUserPolicyDoc(t, root, "dev", "force-mfa", stsDoc(
		stsAllow("*", "iam:List*", "iam:Get*"),
		`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":["`+deployer+`","`+admin+`"]}`,
		`{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice",`+
			`"iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices",`+
			`"iam:ResyncMFADevice","sts:GetSessionToken","sts:AssumeRole"],"Resource":"*",`+
			`"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`))
	return profileAccount{key: aws.ToString(key.AccessKeyId), secret: aws.ToString(key.SecretAccessKey),
		deployerARN: deployer, adminARN: admin}
}

// profiles is the CLI configuration of a profileAccount; mfaSerial, when
// given, adds the admin profile.
func (a profileAccount) profiles(mfaSerial string) (config, credentials string) {
	config = "[profile dev]\nregion = us-east-1\n\n" +
		"[profile deployer]\nrole_arn = " + a.deployerARN + "\nsource_profile = dev\nexternal_id = " + externalID + "\nregion = us-east-1\n\n" +
		"[profile deployer-noext]\nrole_arn = " + a.deployerARN + "\nsource_profile = dev\nregion = us-east-1\n"
	if mfaSerial != "" {
		config += "\n[profile admin]\nrole_arn = " + a.adminARN + "\nsource_profile = dev\nmfa_serial = " + mfaSerial + "\nregion = us-east-1\n" +
			"\n[profile admin-nomfa]\nrole_arn = " + a.adminARN + "\nsource_profile = dev\nregion = us-east-1\n"
	}
	credentials = "[dev]\naws_access_key_id = " + a.key + "\naws_secret_access_key = " + a.secret + "\n"
	return config, credentials
}

// mfaCodes hands out the codes of one device in the order a person types
// them, each of a later time step than the last, since Warden (like AWS)
// takes no code, and no older code, twice.
type mfaCodes struct {
	seed []byte
	last int64 // the step of the last code used
}

// enableForCodes enables the device for user with the codes of the two steps
// before the current one, so that the codes of the current and the next step
// are both accepted right away. The step may turn between reading the clock
// and the server checking: then it tries once more.
func enableForCodes(t *testing.T, c *iam.Client, user string, d mfaDevice) *mfaCodes {
	t.Helper()
	for try := 0; ; try++ {
		n := totp.Step(time.Now())
		_, err := c.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{UserName: aws.String(user),
			SerialNumber: aws.String(d.serial), AuthenticationCode1: aws.String(totp.CodeAt(d.seed, n-2)),
			AuthenticationCode2: aws.String(totp.CodeAt(d.seed, n-1))})
		if err == nil {
			return &mfaCodes{seed: d.seed, last: n - 1}
		}
		if try > 0 || apiCode(t, err) != "InvalidAuthenticationCode" {
			t.Fatalf("EnableMFADevice: %v", err)
		}
	}
}

// next returns the code of the earliest step after the last one used that
// the server accepts now or soon, waiting for the clock if need be.
func (m *mfaCodes) next() string {
	s := max(m.last+1, totp.Step(time.Now()))
	for totp.Step(time.Now())+totp.Skew < s {
		time.Sleep(time.Second)
	}
	m.last = s
	return totp.CodeAt(m.seed, s)
}

// wrong returns a well-formed code that no step near now has.
func (m *mfaCodes) wrong() string {
	n := totp.Step(time.Now())
	for d := '0'; ; d++ {
		code := strings.Repeat(string(d), 6)
		if !slices.ContainsFunc([]int64{n - 2, n - 1, n, n + 1, n + 2}, func(s int64) bool { return totp.CodeAt(m.seed, s) == code }) {
			return code
		}
	}
}

func TestAWSCLIProfiles(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	root := s.root()
	acct := setUpProfileAccount(t, s)
	device := mfaCreate(t, root, "", "dev-phone")
	codes := enableForCodes(t, root, "dev", device)
	config, credentials := acct.profiles(device.serial)
	cli := newCLISandbox(t, s, config, credentials)
	prompt := "Enter MFA code for " + device.serial + ": "

	// The codes are of the current step and the next: the MFA runs come first.
	t.Run("admin profile prompts for the MFA code", func(t *testing.T) {
		cli.runTyped(t, prompt, codes.wrong(), "sts", "get-caller-identity", "--profile", "admin").
			fails(t, "AccessDenied", "AssumeRole", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
		r := cli.runTyped(t, prompt, codes.next(), "sts", "get-caller-identity", "--profile", "admin", "--output", "json")
		var id struct{ Arn string }
		if err := json.Unmarshal([]byte(r.ok(t)), &id); err != nil || !sessionARN("Admin").MatchString(id.Arn) {
			t.Fatalf("admin identity %q (%v)\n%s", id.Arn, err, r)
		}
		// The session is cached: no prompt (there is no terminal to answer
		// one), and it may do what the role may.
		cli.run(t, nil, "iam", "create-user", "--user-name", "made-by-admin", "--profile", "admin").ok(t)
		cli.run(t, nil, "iam", "get-user", "--user-name", "made-by-admin", "--profile", "admin").ok(t)
		// Without MFA the trust policy does not let dev in.
		cli.run(t, nil, "sts", "get-caller-identity", "--profile", "admin-nomfa").
			fails(t, "AccessDenied", "AssumeRole", assumeDenied(userARN("/", "dev"), acct.adminARN))
	})

	t.Run("plain credentials are stopped, an MFA session goes through", func(t *testing.T) {
		cli.run(t, nil, "iam", "list-users", "--profile", "dev").fails(t, "AccessDenied", "ListUsers",
			"User: "+userARN("/", "dev")+" is not authorized to perform: iam:ListUsers", "with an explicit deny in an identity-based policy")
		// GetCallerIdentity needs no permission, a deny notwithstanding.
		if arn, _ := cli.callerIdentity(t, nil, "--profile", "dev"); arn != userARN("/", "dev") {
			t.Errorf("dev identity = %s", arn)
		}
		session := parseCredentials(t, cli.run(t, nil, "sts", "get-session-token", "--profile", "dev", "--output", "json",
			"--serial-number", device.serial, "--token-code", codes.next(), "--duration-seconds", "900"))
		out := cli.run(t, session.env(), "iam", "list-users", "--output", "json").ok(t)
		if !strings.Contains(out, `"UserName": "dev"`) || !strings.Contains(out, `"UserName": "made-by-admin"`) {
			t.Errorf("list-users with the MFA session:\n%s", out)
		}
		if arn, _ := cli.callerIdentity(t, session.env()); arn != userARN("/", "dev") {
			t.Errorf("MFA session identity = %s", arn)
		}
	})

	t.Run("deployer profile assumes the role with the external ID", func(t *testing.T) {
		arn, userID := cli.callerIdentity(t, nil, "--profile", "deployer")
		m := sessionARN("Deployer").FindStringSubmatch(arn)
		if m == nil {
			t.Fatalf("deployer identity = %s", arn)
		}
		role := res(root.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("Deployer")})).must(t).Role
		if want := aws.ToString(role.RoleId) + ":" + m[1]; userID != want {
			t.Errorf("UserId = %s, want %s", userID, want)
		}
		out := cli.run(t, nil, "iam", "list-users", "--profile", "deployer", "--output", "json").ok(t)
		if !strings.Contains(out, `"UserName": "dev"`) {
			t.Errorf("list-users as Deployer:\n%s", out)
		}
		cli.run(t, nil, "iam", "create-user", "--user-name", "by-deployer", "--profile", "deployer").fails(t, "AccessDenied", "CreateUser",
			"User: "+arn+" is not authorized to perform: iam:CreateUser", "because no identity-based policy allows the iam:CreateUser action")
		cli.run(t, nil, "sts", "get-caller-identity", "--profile", "deployer-noext").
			fails(t, "AccessDenied", "AssumeRole", assumeDenied(userARN("/", "dev"), acct.deployerARN))
	})

	// Every AssumeRole of a profile went to STS's own host name, never to
	// --endpoint-url; each other call went to --endpoint-url.
	if got := cli.tunnel.Targets(); len(got) != 5 {
		t.Errorf("the CLI tunnelled to %q; want %s for each of the 5 profile AssumeRoles", got, stsHost)
	}
}

// TestAWSCLIProfileExpiry lets the session of a role profile, cached by the
// CLI, expire on a server whose STS clock the test moves.
func TestAWSCLIProfileExpiry(t *testing.T) {
	t.Parallel()
	s, clock := startClockedServer(t)
	acct := setUpProfileAccount(t, s)
	config, credentials := acct.profiles("")
	cli := newCLISandbox(t, s, config, credentials)
	assumes := func() int { return len(cli.tunnel.Targets()) }

	arn, _ := cli.callerIdentity(t, nil, "--profile", "deployer")
	if !sessionARN("Deployer").MatchString(arn) {
		t.Fatalf("deployer identity = %s", arn)
	}
	cache, err := filepath.Glob(filepath.Join(cli.home, ".aws", "cli", "cache", "*.json"))
	if err != nil || len(cache) != 1 {
		t.Fatalf("the CLI cache holds %q (%v), want one session", cache, err)
	}
	// The role's default duration is an hour; the CLI asks for no other.
	var cached struct{ Credentials cliCredentials }
	if b, err := os.ReadFile(cache[0]); err != nil || json.Unmarshal(b, &cached) != nil {
		t.Fatalf("read %s: %v\n%s", cache[0], err, b)
	}
	exp, err := time.Parse(time.RFC3339, cached.Credentials.Expiration)
	if err != nil || exp.Sub(clock.Now()) < 59*time.Minute || exp.Sub(clock.Now()) > time.Hour {
		t.Fatalf("cached session expires at %q (%v)", cached.Credentials.Expiration, err)
	}

	short := parseCredentials(t, cli.run(t, nil, "sts", "assume-role", "--profile", "dev", "--output", "json",
		"--role-arn", acct.deployerARN, "--role-session-name", "short", "--external-id", externalID, "--duration-seconds", "900"))
	if arn, _ := cli.callerIdentity(t, short.env()); arn != "arn:aws:sts::"+testAccount+":assumed-role/Deployer/short" {
		t.Fatalf("short session identity = %s", arn)
	}
	if assumes() != 1 {
		t.Fatalf("the CLI's own assume-role went to %q, not to --endpoint-url", cli.tunnel.Targets())
	}

	clock.Advance(901 * time.Second)
	cli.run(t, short.env(), "sts", "get-caller-identity").fails(t, "ExpiredToken", "GetCallerIdentity",
		"The security token included in the request is expired")
	// The hour-long session of the profile, from the CLI's cache, still works.
	cli.run(t, nil, "iam", "list-users", "--profile", "deployer").ok(t)

	clock.Advance(time.Hour)
	// By the CLI's own (real) clock the cached session is good for most of
	// an hour yet, so it uses it, and Warden's clock says it has expired.
	cli.run(t, nil, "iam", "list-users", "--profile", "deployer").fails(t, "ExpiredToken", "ListUsers",
		"The security token included in the request is expired")
	cli.run(t, cached.Credentials.env(), "sts", "get-caller-identity").fails(t, "ExpiredToken", "GetCallerIdentity")
	if assumes() != 1 {
		t.Fatalf("the CLI assumed the role again (%q) instead of using its cache", cli.tunnel.Targets())
	}
	// Without the cache the CLI assumes the role afresh.
	if err := os.RemoveAll(filepath.Join(cli.home, ".aws", "cli", "cache")); err != nil {
		t.Fatal(err)
	}
	cli.run(t, nil, "iam", "list-users", "--profile", "deployer").ok(t)
	if assumes() != 2 {
		t.Fatalf("tunnelled %q, want a second AssumeRole", cli.tunnel.Targets())
	}
}

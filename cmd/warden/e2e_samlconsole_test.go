package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/warden-iam/warden/saml"
	"github.com/warden-iam/warden/saml/samltest"
	"github.com/warden-iam/warden/wardentest"
)

// startSAMLServer is startServer's in-process Warden that also accepts
// assertions meant for its own sign-in URL, URL + "/saml".
func startSAMLServer(t *testing.T) *server {
	t.Helper()
	s := &server{Data: t.TempDir(), Stdout: &syncBuffer{}, Stderr: &syncBuffer{}}
	w := wardentest.Start(t, wardentest.WithAccountID(testAccount), wardentest.WithRootKey(rootKeyID, rootSecret),
		wardentest.WithRootPassword(rootPass), wardentest.WithDataDir(s.Data), wardentest.WithLog(s.Stderr), wardentest.WithSAMLSignIn())
	s.URL = w.Endpoint
	return s
}

// samlConsoleSetup registers a test IdP as SAML provider Corp and creates
// the roles it signs users in to: Admin may do anything in IAM (sessions
// of up to two hours), Viewer nothing at all.
func samlConsoleSetup(t *testing.T, s *server) (idp *samltest.IdP, providerARN string, roles map[string]string) {
	t.Helper()
	ctx := context.Background()
	c := s.root()
	idp = samltest.New(t, "https://idp.example.com/metadata")
	out, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Corp"), SAMLMetadataDocument: aws.String(idp.Metadata(time.Time{}))})
	if err != nil {
		t.Fatal(err)
	}
	providerARN = aws.ToString(out.SAMLProviderArn)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},
		"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringLike":{"saml:sub":"*@example.com"}}}]}`
	roles = map[string]string{}
	for _, name := range []string{"Admin", "Viewer"} {
		r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})
		if err != nil {
			t.Fatal(err)
		}
		roles[name] = aws.ToString(r.Role.Arn)
	}
	admin := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Admin"), PolicyName: aws.String("all"), PolicyDocument: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	return idp, providerARN, roles
}

// consoleAssertion is an assertion for Warden's own sign-in URL offering
// the roles given.
func consoleAssertion(s *server, subject string, providerARN string, roleARNs ...string) samltest.Assertion {
	var pairs []string
	for _, r := range roleARNs {
		pairs = append(pairs, r+","+providerARN)
	}
	return samltest.Assertion{NameID: subject, Recipient: s.URL + "/saml", Attributes: map[string][]string{
		saml.AttrRole: pairs, saml.AttrRoleSessionName: {strings.Split(subject, "@")[0]},
	}}
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects.
type browser struct {
	t *testing.T
	c *http.Client
	s *server
}

func newBrowser(t *testing.T, s *server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, c: &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: wardentest.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.s.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postSAML posts a SAMLResponse the way an IdP's auto-submitting form does.
func (b *browser) postSAML(response string, extra ...string) (int, string) {
	b.t.Helper()
	f := url.Values{"SAMLResponse": {response}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	status, body, _ := b.post("/saml", f)
	return status, body
}

var refreshRE = regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`)

func TestE2ESAMLConsoleSignIn(t *testing.T) {
	s := startSAMLServer(t)
	idp, providerARN, roles := samlConsoleSetup(t, s)

	t.Run("one role lands on the dashboard as the role session", func(t *testing.T) {
		b := newBrowser(t, s)
		a := consoleAssertion(s, "alice@example.com", providerARN, roles["Admin"])
		a.Attributes[saml.AttrSessionDuration] = []string{"1800"}
		start := time.Now().UTC()
		status, body := b.postSAML(idp.Response(t, a, samltest.SignAssertion))
		if status != http.StatusOK || !strings.Contains(body, "Admin/alice") {
			t.Fatalf("POST /saml = %d\n%s", status, body)
		}
		m := refreshRE.FindStringSubmatch(body)
		if m == nil || m[1] != "/console/" {
			t.Fatalf("the page does not move on to the dashboard: %v\n%s", m, body)
		}
		until := regexp.MustCompile(`id="saml-until">([^<]+)<`).FindStringSubmatch(body)
		if until == nil {
			t.Fatalf("no session end on the page:\n%s", body)
		}
		end, err := time.Parse("2006-01-02 15:04 UTC", until[1])
		if err != nil {
			t.Fatal(err)
		}
		// The page shows the minute: the session ends 30 minutes after it began.
		if lo, hi := start.Add(29*time.Minute), time.Now().UTC().Add(30*time.Minute); end.Before(lo) || end.After(hi) {
			t.Errorf("session ends %s, want 30 minutes (SessionDuration) from %s", end, start)
		}
		status, body, _ = b.get("/console/")
		if status != http.StatusOK || !strings.Contains(body, "Admin/alice") {
			t.Fatalf("dashboard = %d\n%s", status, body)
		}
		status, body, _ = b.get("/console/users")
		if status != http.StatusOK {
			t.Fatalf("users page as Admin = %d\n%s", status, body)
		}
	})

	t.Run("SessionDuration beyond the role's maximum is capped, and one hour by default", func(t *testing.T) {
		for _, tc := range []struct {
			duration string
			want     time.Duration
		}{{"43200", 2 * time.Hour}, {"", time.Hour}} {
			b := newBrowser(t, s)
			a := consoleAssertion(s, "bob@example.com", providerARN, roles["Admin"])
			if tc.duration != "" {
				a.Attributes[saml.AttrSessionDuration] = []string{tc.duration}
			}
			start := time.Now().UTC()
			status, body := b.postSAML(idp.Response(t, a, samltest.SignAssertion))
			until := regexp.MustCompile(`id="saml-until">([^<]+)<`).FindStringSubmatch(body)
			if status != http.StatusOK || until == nil {
				t.Fatalf("POST /saml = %d\n%s", status, body)
			}
			end, _ := time.Parse("2006-01-02 15:04 UTC", until[1])
			if lo, hi := start.Add(tc.want-time.Minute), time.Now().UTC().Add(tc.want); end.Before(lo) || end.After(hi) {
				t.Errorf("SessionDuration %q: session ends %s, want %v after %s", tc.duration, end, tc.want, start)
			}
		}
	})

	t.Run("a role without permissions sees AccessDenied", func(t *testing.T) {
		b := newBrowser(t, s)
		status, body := b.postSAML(idp.Response(t, consoleAssertion(s, "carol@example.com", providerARN, roles["Viewer"]), samltest.SignAssertion))
		if status != http.StatusOK {
			t.Fatalf("POST /saml = %d\n%s", status, body)
		}
		status, body, _ = b.get("/console/users")
		if status != http.StatusForbidden || !strings.Contains(body, "assumed-role/Viewer/carol") || !strings.Contains(body, "iam:ListUsers") {
			t.Fatalf("users page as Viewer = %d\n%s", status, body)
		}
	})

	t.Run("several roles: a picker, then the chosen one", func(t *testing.T) {
		b := newBrowser(t, s)
		resp := idp.Response(t, consoleAssertion(s, "dave@example.com", providerARN, roles["Admin"], roles["Viewer"]), samltest.SignAssertion)
		status, body := b.postSAML(resp, "RelayState", "/console/roles")
		if status != http.StatusOK || !strings.Contains(body, "Select a role") || !strings.Contains(body, roles["Viewer"]) {
			t.Fatalf("picker = %d\n%s", status, body)
		}
		if status, _, _ := b.get("/console/"); status != http.StatusSeeOther {
			t.Fatalf("the picker signed in already: dashboard %d", status)
		}
		// A role the assertion does not offer is refused.
		status, body = b.postSAML(resp, "role", "arn:aws:iam::"+testAccount+":role/Other,"+providerARN)
		if status != http.StatusForbidden || !strings.Contains(body, "AccessDenied") {
			t.Fatalf("unoffered role = %d\n%s", status, body)
		}
		status, body = b.postSAML(resp, "role", roles["Viewer"]+","+providerARN, "RelayState", "/console/roles")
		if m := refreshRE.FindStringSubmatch(body); status != http.StatusOK || m == nil || m[1] != "/console/roles" {
			t.Fatalf("chosen role = %d\n%s", status, body)
		}
		if _, body, _ := b.get("/console/"); !strings.Contains(body, "Viewer/dave") {
			t.Fatalf("dashboard after the picker:\n%s", body)
		}
	})

	t.Run("RelayState elsewhere lands on the dashboard", func(t *testing.T) {
		for _, relay := range []string{"https://evil.example.com/console/", "//evil.example.com/console/", "/signin/x", "/console/../metrics"} {
			b := newBrowser(t, s)
			status, body := b.postSAML(idp.Response(t, consoleAssertion(s, "erin@example.com", providerARN, roles["Viewer"]), samltest.SignAssertion),
				"RelayState", relay)
			if m := refreshRE.FindStringSubmatch(body); status != http.StatusOK || m == nil || m[1] != "/console/" {
				t.Errorf("RelayState %q = %d, lands on %v", relay, status, m)
			}
		}
	})

	t.Run("a deleted and recreated role ends the session", func(t *testing.T) {
		ctx := context.Background()
		c := s.root()
		trust := res(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Viewer")})).must(t).Role.AssumeRolePolicyDocument
		doc, _ := url.QueryUnescape(aws.ToString(trust))
		b := newBrowser(t, s)
		if status, body := b.postSAML(idp.Response(t, consoleAssertion(s, "frank@example.com", providerARN, roles["Viewer"]), samltest.SignAssertion)); status != http.StatusOK {
			t.Fatalf("POST /saml = %d\n%s", status, body)
		}
		res(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Viewer")})).must(t)
		res(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Viewer"), AssumeRolePolicyDocument: aws.String(doc)})).must(t)
		status, _, h := b.get("/console/")
		if status != http.StatusSeeOther || h.Get("Location") != "/signin/"+testAccount {
			t.Fatalf("dashboard after the role was recreated = %d %s", status, h.Get("Location"))
		}
	})

	t.Run("refusals", func(t *testing.T) {
		used := idp.Response(t, consoleAssertion(s, "gina@example.com", providerARN, roles["Admin"]), samltest.SignAssertion)
		if status, body := newBrowser(t, s).postSAML(used); status != http.StatusOK {
			t.Fatalf("first use = %d\n%s", status, body)
		}
		other := samltest.New(t, idp.EntityID)
		expired := consoleAssertion(s, "hh@example.com", providerARN, roles["Admin"])
		expired.NotBefore, expired.NotOnOrAfter = time.Now().Add(-time.Hour), time.Now().Add(-30*time.Minute)
		wrongAud := consoleAssertion(s, "ii@example.com", providerARN, roles["Admin"])
		wrongAud.Recipient = "https://elsewhere.example.com/saml"
		outsider := consoleAssertion(s, "jj@evil.example.org", providerARN, roles["Admin"])
		noRole := consoleAssertion(s, "kk@example.com", providerARN)
		noRole.Attributes[saml.AttrRole] = nil
		noSession := consoleAssertion(s, "ll@example.com", providerARN, roles["Admin"])
		delete(noSession.Attributes, saml.AttrRoleSessionName)
		unknownProvider := consoleAssertion(s, "mm@example.com", "arn:aws:iam::"+testAccount+":saml-provider/Nobody", roles["Admin"])
		for _, tc := range []struct {
			name, resp, code string
			status           int
		}{
			{"replayed", used, "InvalidIdentityToken", 400},
			{"unsigned", idp.Response(t, consoleAssertion(s, "nn@example.com", providerARN, roles["Admin"]), samltest.SignNothing), "InvalidIdentityToken", 400},
			{"other key", other.Response(t, consoleAssertion(s, "oo@example.com", providerARN, roles["Admin"]), samltest.SignAssertion), "InvalidIdentityToken", 400},
			{"tampered", strings.Replace(idp.Response(t, consoleAssertion(s, "pp@example.com", providerARN, roles["Admin"]), samltest.SignAssertion), "A", "B", 1), "InvalidIdentityToken", 400},
			{"expired", idp.Response(t, expired, samltest.SignAssertion), "ExpiredTokenException", 400},
			{"wrong recipient", idp.Response(t, wrongAud, samltest.SignAssertion), "InvalidIdentityToken", 400},
			{"trust policy refuses the subject", idp.Response(t, outsider, samltest.SignAssertion), "AccessDenied", 403},
			{"no Role attribute", idp.Response(t, noRole, samltest.SignAssertion), "InvalidIdentityToken", 400},
			{"no RoleSessionName", idp.Response(t, noSession, samltest.SignAssertion), "InvalidIdentityToken", 400},
			{"unknown provider", idp.Response(t, unknownProvider, samltest.SignAssertion), "InvalidIdentityToken", 400},
			{"not base64", "%%% not base64 %%%", "InvalidIdentityToken", 400},
			{"not XML", "PG5vdCB4bWw+", "InvalidIdentityToken", 400},
			{"missing", "", "MissingParameter", 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := newBrowser(t, s)
				status, body := b.postSAML(tc.resp)
				if status != tc.status || !strings.Contains(body, "SAML sign-in failed") || !strings.Contains(body, tc.code+":") {
					t.Fatalf("POST /saml = %d, want %d with %s\n%s", status, tc.status, tc.code, body)
				}
				if status, _, _ := b.get("/console/"); status != http.StatusSeeOther {
					t.Errorf("a refused sign-in left a session: dashboard %d", status)
				}
			})
		}
	})
}

package authz

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

const (
	other      = "210987654321"
	listUsers  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`
	createUser = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","iam:CreateUser"],"Resource":"*"}]}`
)

func role(name, trust string, inline ...string) *warden.Role {
	r := &warden.Role{Account: acct, ID: "AROA" + strings.ToUpper(name) + "XXXXXXXX", Name: name, Path: "/",
		AssumeRolePolicyDocument: trust, MaxSessionDuration: 3600}
	for i, doc := range inline {
		r.InlinePolicies = append(r.InlinePolicies, warden.InlinePolicy{Name: "p" + string(rune('0'+i)), Document: doc})
	}
	return r
}

func roleSession(key string, r *warden.Role, issued time.Time, policies ...string) *warden.Session {
	return &warden.Session{AccessKeyID: key, Account: r.Account, Type: warden.PrincipalAssumedRole,
		ARN: "arn:aws:sts::" + r.Account + ":assumed-role/" + r.Name + "/s", ID: r.ID + ":s", Name: "s",
		RoleName: r.Name, RoleID: r.ID, IssuerARN: r.ARN(), SessionPolicies: policies,
		IssueTime: issued, Expiration: issued.Add(time.Hour)}
}

func sessionPrincipal(s *warden.Session) *warden.Principal {
	p := s.Principal()
	return &p
}

func TestSessionPolicies(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := New(s, Strict, slog.New(slog.DiscardHandler))
	issued := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

	reader := role("Reader", "", listOnly)
	reader.Tags = []warden.Tag{{Key: "team", Value: "blue"}, {Key: "tier", Value: "1"}}
	bounded := role("Bounded", "", allowIAM)
	bounded.PermissionsBoundary = "arn:aws:iam::123456789012:policy/ListOnly"
	fed := user("fed")
	fed.InlinePolicies = []warden.InlinePolicy{{Name: "lists", Document: listOnly}}

	plain := roleSession("ASIAPLAIN0000000000", reader, issued)
	plain.Tags = []warden.Tag{{Key: "Team", Value: "red"}}
	plain.SourceIdentity = "alice"
	narrowed := roleSession("ASIANARROW000000000", reader, issued, createUser)
	capped := roleSession("ASIACAPPED000000000", bounded, issued)
	ghost := roleSession("ASIAGHOST0000000000", role("Ghost", ""), issued)
	fedWith := &warden.Session{AccessKeyID: "ASIAFEDWITH00000000", Account: acct, Type: warden.PrincipalFederatedUser,
		ARN: "arn:aws:sts::123456789012:federated-user/app", ID: acct + ":app", Name: "app", IssuerUser: "fed", IssuerUserID: fed.ID,
		IssuerARN: fed.ARN(), SessionPolicies: []string{createUser}, IssueTime: issued}
	fedWithout := &warden.Session{AccessKeyID: "ASIAFEDWITHOUT00000", Account: acct, Type: warden.PrincipalFederatedUser,
		ARN: "arn:aws:sts::123456789012:federated-user/bare", ID: acct + ":bare", Name: "bare", IssuerUser: "fed", IssuerUserID: fed.ID,
		IssuerARN: fed.ARN(), IssueTime: issued}
	fedRoot := &warden.Session{AccessKeyID: "ASIAFEDROOT00000000", Account: acct, Type: warden.PrincipalFederatedUser,
		ARN: "arn:aws:sts::123456789012:federated-user/ops", ID: acct + ":ops", Name: "ops",
		IssuerARN: "arn:aws:iam::123456789012:root", SessionPolicies: []string{listUsers}, IssueTime: issued}
	userSession := &warden.Session{AccessKeyID: "ASIAUSER00000000000", Account: acct, Type: warden.PrincipalUser,
		ARN: fed.ARN(), ID: fed.ID, Name: "fed", IssuerARN: fed.ARN(), IssuerUser: "fed", IssueTime: issued}
	put(t, s, reader, bounded, fed, managed("ListOnly", listOnly),
		plain, narrowed, capped, ghost, fedWith, fedWithout, fedRoot, userSession)

	tests := []struct {
		name    string
		sess    *warden.Session
		action  string
		allowed bool
		why     string
	}{
		{"role's policies apply", plain, "iam:ListUsers", true, ""},
		{"role's policies only", plain, "iam:CreateUser", false, "no identity-based policy"},
		{"session policy allows within the role", narrowed, "iam:ListUsers", true, ""},
		{"session policy narrows", narrowed, "iam:ListRoles", false, "because no session policy allows the iam:ListRoles action"},
		{"session policy grants nothing more", narrowed, "iam:CreateUser", false, "no identity-based policy"},
		{"role's boundary caps", capped, "iam:CreateUser", false, "because no permissions boundary allows"},
		{"within the role's boundary", capped, "iam:ListRoles", true, ""},
		{"deleted role grants nothing", ghost, "iam:ListUsers", false, ""},
		{"federated: user and session policy", fedWith, "iam:ListUsers", true, ""},
		{"federated: not the user's", fedWith, "iam:CreateUser", false, "no identity-based policy"},
		{"federated: not the session's", fedWith, "iam:ListRoles", false, "because no session policy allows"},
		{"federated without session policy: nothing", fedWithout, "iam:ListUsers", false, "because no session policy allows"},
		{"federated by root: the session policy", fedRoot, "iam:ListUsers", true, ""},
		{"federated by root: only the session policy", fedRoot, "iam:DeleteUser", false, "because no session policy allows"},
		{"GetSessionToken: the user's policies", userSession, "iam:ListRoles", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(ctx, sessionPrincipal(tt.sess), Request{Action: tt.action, Resource: "*"})
			if tt.allowed != (err == nil) {
				t.Fatalf("Authorize = %v, want allowed=%v", err, tt.allowed)
			}
			if err != nil && !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("message %q lacks %q", err, tt.why)
			}
		})
	}

	t.Run("context of a role session", func(t *testing.T) {
		d, err := a.Decide(ctx, sessionPrincipal(plain), Request{Action: "iam:ListUsers", Resource: "*"})
		if err != nil {
			t.Fatal(err)
		}
		c := &d.Request.Context
		for key, want := range map[string]string{
			"aws:PrincipalArn":           reader.ARN(),
			"aws:userid":                 reader.ID + ":s",
			"aws:PrincipalType":          "AssumedRole",
			"aws:TokenIssueTime":         "2025-03-01T12:00:00Z",
			"aws:MultiFactorAuthPresent": "false",
			"aws:SourceIdentity":         "alice",
			"aws:PrincipalTag/team":      "red", // the session tag overrides the role's
			"aws:PrincipalTag/tier":      "1",
		} {
			if vs, ok := c.Get(key); !ok || len(vs) != 1 || vs[0] != want {
				t.Errorf("%s = %v, want %s", key, vs, want)
			}
		}
		if vs, ok := c.Get("aws:username"); ok {
			t.Errorf("aws:username = %v for a role session", vs)
		}
		if d.Request.Principal.IssuerARN != reader.ARN() {
			t.Errorf("IssuerARN = %s", d.Request.Principal.IssuerARN)
		}
	})

	t.Run("long-term keys have no token issue time", func(t *testing.T) {
		d, err := a.Decide(ctx, principal(fed), Request{Action: "iam:ListUsers", Resource: "*"})
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"aws:TokenIssueTime", "aws:MultiFactorAuthPresent"} {
			if vs, ok := d.Request.Context.Get(key); ok {
				t.Errorf("%s = %v for long-term keys", key, vs)
			}
		}
	})
}

func TestTrust(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := New(s, Strict, slog.New(slog.DiscardHandler))
	named, viaAccount := user("named"), user("delegated")
	viaAccount.InlinePolicies = []warden.InlinePolicy{{Name: "assume", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`}}
	stranger := user("stranger")
	stranger.InlinePolicies = viaAccount.InlinePolicies
	put(t, s, named, viaAccount, stranger)

	compile := func(doc string) *policy.Set {
		p, err := policy.Parse([]byte(doc), policy.Trust)
		if err != nil {
			t.Fatal(err)
		}
		return policy.Compile(policy.Named{Name: "trust", Policy: p})
	}
	trustOf := func(principals ...string) *policy.Set {
		return compile(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` +
			strings.Join(principals, `","`) + `"]},"Action":"sts:AssumeRole"}]}`)
	}
	sameRole := "arn:aws:iam::123456789012:role/R"
	otherRole := "arn:aws:iam::" + other + ":role/R"
	tests := []struct {
		name    string
		p       *warden.Principal
		role    string
		trust   *policy.Set
		allowed bool
	}{
		{"named user, no identity policy", principal(named), sameRole, trustOf(named.ARN()), true},
		{"account trusted, no identity policy", principal(named), sameRole, trustOf(acct), false},
		{"account trusted, identity allows", principal(viaAccount), sameRole, trustOf(acct), true},
		{"not trusted, identity allows", principal(stranger), sameRole, trustOf(named.ARN()), false},
		{"empty trust (missing role)", principal(stranger), sameRole, policy.Compile(), false},
		{"across accounts: named, no identity policy", principal(named), otherRole, trustOf(named.ARN()), false},
		{"across accounts: account trusted, identity allows", principal(viaAccount), otherRole, trustOf(acct), true},
		{"across accounts: identity allows, not trusted", principal(viaAccount), otherRole, trustOf("111122223333"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(ctx, tt.p, Request{Action: "sts:AssumeRole", Resource: tt.role, ResourcePolicy: tt.trust, Trust: true})
			if tt.allowed != (err == nil) {
				t.Fatalf("Authorize = %v, want allowed=%v", err, tt.allowed)
			}
		})
	}
}

package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/advisor"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
)

// TestRoleSessionsAndAccessAdvisor: a role's page has tabs for its sections
// and its Access Advisor, a "Sessions and last used" section that says when
// its sessions were revoked, and the Access Advisor tab reports per service
// when the role's sessions last used it, or "Not accessed in the tracking
// period". Groups and policies have the tab too.
func TestRoleSessionsAndAccessAdvisor(t *testing.T) {
	s := newStack(t, Config{})
	usage := advisor.New(s.store, nil)
	s.az.Observe(usage.Observe)
	s.iam.FlushAccessAdvisor = usage.Flush
	s.as(&s.root, "CreateRole", "RoleName", "Auditor", "AssumeRolePolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+testAccount+`:root"},"Action":"sts:AssumeRole"}]}`)
	s.as(&s.root, "PutRolePolicy", "RoleName", "Auditor", "PolicyName", "read", "PolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","s3:GetObject"],"Resource":"*"}]}`)
	res, err := s.iam.Invoke(context.Background(), &s.root, "GetRole", form("RoleName", "Auditor"))
	if err != nil {
		t.Fatal(err)
	}
	var role roleResult
	s.decode(res, &role)
	b := s.signedIn()

	page := b.get("/console/roles/Auditor")
	expect(t, page, http.StatusOK, "")
	for _, want := range []string{`id="tab-permissions"`, `id="tab-trust"`, `id="tab-sessions"`, `id="access-advisor"`, `id="sessions"`,
		"Not used in the tracking period", "1 hour"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("role page lacks %s", want)
		}
	}
	if got := find(t, `id="role-revoked">([^<]+)<`, page.body); got != "No" {
		t.Errorf("revoked before revoking: %q", got)
	}
	advisorAt := "/console/access-advisor?arn=" + url.QueryEscape(role.Role.Arn)
	adv := b.get(advisorAt)
	expect(t, adv, http.StatusOK, "")
	if n := strings.Count(adv.body, "Not accessed in the tracking period"); n != 2 {
		t.Errorf("an unused role: %d services not accessed, want 2 (IAM, S3)\n%s", n, excerpt(adv.body))
	}
	if !strings.Contains(adv.body, `id="access-advisor" class="on"`) || !strings.Contains(adv.body, `href="/console/roles/Auditor#trust"`) {
		t.Errorf("the advisor page has not the role's tabs:\n%s", excerpt(adv.body))
	}

	// A session of the role lists users: the authorizer tells the tracker
	// so, as it does for every allowed request.
	usage.Observe(authz.Allowed{Principal: &warden.Principal{Type: warden.PrincipalAssumedRole, Account: testAccount,
		ID: role.Role.RoleID + ":audit", ARN: "arn:aws:sts::" + testAccount + ":assumed-role/Auditor/audit"},
		Action: "iam:ListUsers", Deciding: []policy.Match{{PolicyName: "role/Auditor/read"}}})
	if err := usage.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	adv = b.get(advisorAt)
	iamRow := find(t, `(?s)<tr data-service="iam">(.*?)</tr>`, adv.body)
	s3Row := find(t, `(?s)<tr data-service="s3">(.*?)</tr>`, adv.body)
	if strings.Contains(iamRow, "Not accessed") || !strings.Contains(iamRow, "ListUsers (") || !strings.Contains(s3Row, "Not accessed in the tracking period") {
		t.Errorf("after use: iam %q, s3 %q", iamRow, s3Row)
	}

	expect(t, b.post("/console/roles/Auditor/revoke", url.Values{}, "/console/roles/Auditor"), http.StatusSeeOther, "/console/roles/Auditor?done=sessions-revoked")
	page = b.get("/console/roles/Auditor")
	if got := find(t, `id="role-revoked">([^<]+)<`, page.body); !strings.HasPrefix(got, "Sessions issued before 20") {
		t.Errorf("revoked: %q", got)
	}

	s.as(&s.root, "CreateGroup", "GroupName", "readers")
	group := b.get("/console/groups/readers")
	if !strings.Contains(group.body, `id="access-advisor"`) || !strings.Contains(group.body, `id="tab-members"`) {
		t.Error("the group page has no tabs")
	}
	groupAdv := b.get("/console/access-advisor?arn=" + url.QueryEscape("arn:aws:iam::"+testAccount+":group/readers"))
	expect(t, groupAdv, http.StatusOK, "")
	if !strings.Contains(groupAdv.body, `href="/console/groups/readers"`) {
		t.Error("the group's advisor page does not lead back")
	}
	pol := b.get(policyURL("arn:aws:iam::aws:policy/ReadOnlyAccess"))
	if !strings.Contains(pol.body, `id="access-advisor"`) {
		t.Error("the policy page has no Access Advisor tab")
	}
}

func TestEntityOf(t *testing.T) {
	for in, want := range map[string]entity{
		"arn:aws:iam::123456789012:user/a/b/alice": {Kind: "user", Name: "alice", Page: "/console/users/alice"},
		"arn:aws:iam::123456789012:role/Auditor":   {Kind: "role", Name: "Auditor", Page: "/console/roles/Auditor"},
		"arn:aws:iam::aws:policy/ReadOnlyAccess":   {Kind: "policy", Name: "ReadOnlyAccess", Page: policyURL("arn:aws:iam::aws:policy/ReadOnlyAccess")},
		"arn:aws:s3:::bucket":                      {},
		"nonsense":                                 {},
		"arn:aws:iam::123456789012:mfa/dev":        {},
	} {
		got := entityOf(in)
		want.ARN = in
		if want.Kind == "" {
			want.Name = got.Name
		}
		if got != want {
			t.Errorf("entityOf(%q) = %+v, want %+v", in, got, want)
		}
	}
}

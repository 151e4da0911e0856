package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
)

// badPolicy has an unknown action (an ERROR) and iam:PassRole on "*" (a
// SECURITY_WARNING).
const badPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObjekt", "iam:PassRole"], "Resource": "*"}
  ]
}`

// passRolePolicy has only the SECURITY_WARNING.
const passRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`

const listUsersPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`

// noPolicy fails the test if the account has a customer managed policy of
// that name.
func (s *stack) noPolicy(t *testing.T, name string) {
	t.Helper()
	_, err := s.iam.Invoke(context.Background(), &s.root, "GetPolicy", form("PolicyArn", "arn:aws:iam::"+testAccount+":policy/"+name))
	if warden.ErrorCode(err) != warden.CodeNoSuchEntity {
		t.Fatalf("GetPolicy %s: %v, want NoSuchEntity", name, err)
	}
}

// section is the HTML of the element with the given ID, up to its end tag.
func section(t *testing.T, body, id, end string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no #%s in\n%s", id, excerpt(body))
	}
	j := strings.Index(body[i:], end)
	if j < 0 {
		t.Fatalf("#%s does not end", id)
	}
	return body[i : i+j]
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// cells returns the text of each cell of a summary table's row for a service.
func cells(t *testing.T, table, prefix string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr data-service="` + regexp.QuoteMeta(prefix) + `">(.*?)</tr>`).FindStringSubmatch(table)
	if m == nil {
		t.Fatalf("no row for %s in\n%s", prefix, table)
	}
	var out []string
	for _, c := range strings.Split(m[1], "<td")[1:] {
		_, c, _ = strings.Cut(c, ">")
		out = append(out, strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(c, " ")), " ")))
	}
	return out
}

func rows(table string) int { return strings.Count(table, "<tr data-service=") }

func TestPolicyEditorChecks(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()
	arnOf := func(name string) string { return "arn:aws:iam::" + testAccount + ":policy/" + name }

	t.Run("check lists findings and saves nothing", func(t *testing.T) {
		p := b.post("/console/policies/new", url.Values{"op": {"check"}, "name": {"Bad"}, "document": {badPolicy}}, "/console/policies/new")
		expect(t, p, http.StatusOK, "")
		check := section(t, p.body, "policy-check", "</section>")
		for _, want := range []string{
			`<span class="badge bad">Error</span>`, "INVALID_ACTION", "The action s3:GetObjekt does not exist.",
			"line 4, column 36 (Statement[0].Action[0])",
			`<span class="badge bad">Security warning</span>`, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "line 4, column 81 (Statement[0].Resource)",
			`href="https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-error-invalid-action"`,
			"1 Error<", "1 Security warning<",
		} {
			if !strings.Contains(check, want) {
				t.Errorf("the check lacks %q:\n%s", want, check)
			}
		}
		if !strings.Contains(p.body, html.EscapeString(badPolicy)+"</textarea>") || !strings.Contains(p.body, `value="Bad"`) {
			t.Error("the editor lost what was typed")
		}
		s.noPolicy(t, "Bad")

		clean := b.post("/console/policies/new", url.Values{"op": {"check"}, "document": {listUsersPolicy}}, "/console/policies/new")
		expect(t, clean, http.StatusOK, "")
		if !strings.Contains(section(t, clean.body, "policy-check", "</section>"), "No findings") {
			t.Error("a clean policy does not say so")
		}
	})
	t.Run("check needs the CSRF token", func(t *testing.T) {
		p := b.post("/console/policies/new", url.Values{"op": {"check"}, "document": {badPolicy}}, "")
		expect(t, p, http.StatusForbidden, "")
	})
	t.Run("an error blocks the save", func(t *testing.T) {
		p := b.post("/console/policies/new", url.Values{"op": {"save"}, "name": {"Bad"}, "document": {badPolicy}}, "/console/policies/new")
		expect(t, p, http.StatusBadRequest, "")
		if !strings.Contains(p.body, "Nothing was saved") || !strings.Contains(p.body, "INVALID_ACTION") ||
			!strings.Contains(p.body, html.EscapeString(badPolicy)+"</textarea>") {
			t.Errorf("the editor does not show the errors and the text:\n%s", excerpt(p.body))
		}
		s.noPolicy(t, "Bad")
	})
	t.Run("a clean policy is saved", func(t *testing.T) {
		p := b.post("/console/policies/new", url.Values{"op": {"save"}, "name": {"ListUsers"}, "document": {listUsersPolicy}}, "/console/policies/new")
		expect(t, p, http.StatusSeeOther, policyURL(arnOf("ListUsers"))+"&done=policy-created")
		if view := b.get(p.location); strings.Contains(view.body, `id="policy-findings"`) {
			t.Error("findings shown for a clean policy")
		}
	})
	t.Run("warnings do not block the save and are shown after it", func(t *testing.T) {
		p := b.post("/console/policies/new", url.Values{"op": {"save"}, "name": {"PassRole"}, "document": {passRolePolicy}}, "/console/policies/new")
		expect(t, p, http.StatusSeeOther, policyURL(arnOf("PassRole"))+"&findings=show&done=policy-created")
		view := b.get(p.location)
		expect(t, view, http.StatusOK, "")
		found := section(t, view.body, "policy-findings", "</section>")
		if !strings.Contains(found, "PASS_ROLE_WITH_STAR_IN_RESOURCE") || !strings.Contains(found, "Security warning") {
			t.Errorf("findings after the save:\n%s", found)
		}
	})

	arn := arnOf("ListUsers")
	from := "/console/policy/edit?arn=" + url.QueryEscape(arn)
	versions := func() int {
		t.Helper()
		res, err := s.iam.Invoke(context.Background(), &s.root, "ListPolicyVersions", form("PolicyArn", arn))
		if err != nil {
			t.Fatal(err)
		}
		var out versionsResult
		s.decode(res, &out)
		return len(out.Versions)
	}
	t.Run("new version: check", func(t *testing.T) {
		p := b.post("/console/policy/edit", url.Values{"op": {"check"}, "arn": {arn}, "name": {"ListUsers"}, "document": {badPolicy},
			"prune": {"on"}}, from)
		expect(t, p, http.StatusOK, "")
		check := section(t, p.body, "policy-check", "</section>")
		if !strings.Contains(check, "INVALID_ACTION") || !strings.Contains(check, "PASS_ROLE_WITH_STAR_IN_RESOURCE") {
			t.Errorf("check of a new version:\n%s", check)
		}
		if !strings.Contains(p.body, `<h1>Edit ListUsers</h1>`) || !strings.Contains(p.body, `name="prune" checked`) {
			t.Errorf("the editor of the version lost its state:\n%s", excerpt(p.body))
		}
		if n := versions(); n != 1 {
			t.Errorf("%d versions after a check", n)
		}
	})
	t.Run("new version: an error blocks the save", func(t *testing.T) {
		p := b.post("/console/policy/edit", url.Values{"op": {"save"}, "arn": {arn}, "name": {"ListUsers"}, "document": {badPolicy}}, from)
		expect(t, p, http.StatusBadRequest, "")
		if !strings.Contains(p.body, "INVALID_ACTION") || !strings.Contains(p.body, "Nothing was saved") {
			t.Errorf("save of a bad version:\n%s", excerpt(p.body))
		}
		if n := versions(); n != 1 {
			t.Errorf("%d versions after a refused save", n)
		}
	})
	t.Run("new version: a clean one is saved", func(t *testing.T) {
		edited := strings.Replace(listUsersPolicy, `"iam:ListUsers"`, `["iam:ListUsers","iam:ListGroups"]`, 1)
		p := b.post("/console/policy/edit", url.Values{"op": {"save"}, "arn": {arn}, "name": {"ListUsers"}, "document": {edited}}, from)
		expect(t, p, http.StatusSeeOther, policyURL(arn)+"&done=version-created")
		if n := versions(); n != 2 {
			t.Errorf("%d versions after the save", n)
		}
	})
}

func TestPolicySummary(t *testing.T) {
	s := newStack(t, Config{})
	b := s.signedIn()

	t.Run("AdministratorAccess", func(t *testing.T) {
		p := b.get(policyURL("arn:aws:iam::aws:policy/AdministratorAccess"))
		expect(t, p, http.StatusOK, "")
		sum := section(t, p.body, "policy-summary", "</section>")
		allow := section(t, sum, "summary-allow", "</table>")
		if rows(allow) != 1 || strings.Contains(sum, `id="summary-deny"`) {
			t.Fatalf("want one row that stands for every service, and no deny:\n%s", sum)
		}
		got := cells(t, allow, "*")
		want := []string{"", "Full", "Full", "Full", "Full", "Full", "All resources", "None"}
		if len(got) != len(want) || !strings.HasPrefix(got[0], "All services every one of the ") {
			t.Fatalf("row %q", got)
		}
		for i := 1; i < len(want); i++ {
			if got[i] != want[i] {
				t.Errorf("column %d: %q, want %q", i, got[i], want[i])
			}
		}
		for _, h := range []string{"<th>List</th>", "<th>Read</th>", "<th>Write</th>", "<th>Permissions management</th>", "<th>Tagging</th>"} {
			if !strings.Contains(allow, h) {
				t.Errorf("no column %s", h)
			}
		}
		if !strings.Contains(p.body, `id="policy-json"`) {
			t.Error("the JSON view is gone")
		}
	})

	t.Run("a custom policy", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":[
		  {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"},
		  {"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`
		p := b.post("/console/policies/new", url.Values{"op": {"save"}, "name": {"Reports"}, "document": {doc}}, "/console/policies/new")
		expect(t, p, http.StatusSeeOther, "")
		view := b.get(p.location)
		expect(t, view, http.StatusOK, "")
		sum := section(t, view.body, "policy-summary", "</section>")
		allow, deny := section(t, sum, "summary-allow", "</table>"), section(t, sum, "summary-deny", "</table>")
		if rows(allow) != 1 || rows(deny) != 1 {
			t.Fatalf("rows: %d allowed, %d denied\n%s", rows(allow), rows(deny), sum)
		}
		s3 := cells(t, allow, "s3")
		if len(s3) != 8 || s3[0] != "Amazon S3 s3" || s3[1] != "-" || !regexp.MustCompile(`^Limited 1 of \d+: GetObject$`).MatchString(s3[2]) ||
			s3[3] != "-" || s3[4] != "-" || s3[5] != "-" || s3[6] != "arn:aws:s3:::reports/*" || s3[7] != "None" {
			t.Errorf("s3 row %q", s3)
		}
		iamRow := cells(t, deny, "iam")
		if len(iamRow) != 8 || !regexp.MustCompile(`^Limited 1 of \d+: DeleteUser$`).MatchString(iamRow[3]) ||
			iamRow[6] != "All resources" || iamRow[7] != "Yes" {
			t.Errorf("iam row %q", iamRow)
		}

		// The summary is of the default version, whichever one the JSON shows.
		arn := "arn:aws:iam::" + testAccount + ":policy/Reports"
		v2 := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::reports/*"}}`
		s.as(&s.root, "CreatePolicyVersion", "PolicyArn", arn, "PolicyDocument", v2, "SetAsDefault", "true")
		old := b.get(policyURL(arn) + "&version=v1")
		sum = section(t, old.body, "policy-summary", "</section>")
		if !strings.Contains(sum, "(v2, default)") || strings.Contains(sum, `id="summary-deny"`) ||
			!strings.Contains(strings.Join(cells(t, sum, "s3"), "|"), ": PutObject") || !strings.Contains(old.body, "DeleteUser") {
			t.Errorf("summary of v2 beside the JSON of v1:\n%s", sum)
		}
	})
}

package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-iam/warden/policy"
)

// Every policy editor of the console (managed policies, inline policies of
// users, groups and roles, trust policies) is the "policy-editor" partial:
// the JSON in a textarea with line numbers beside it, and beside that a
// summary of each statement read from the parsed document. "Check" runs the
// policy checker (checkAs) and saves nothing; saving runs it too, and its
// errors stop the save. Whatever happens, the text comes back as typed.

// policyEditor is the data of the "policy-editor" partial.
type policyEditor struct {
	ID, Field, Label string // the textarea's ID, form field and label
	Document         string
	Required         bool
	Rows             int
	Lines            string // the gutter: "1\n2\n…"
	Findings         *findingsView
	Statements       []statementView
	Parsed           bool // the document parsed; Statements is its summary
}

// statementView is the summary of one statement.
type statementView struct {
	Sid        string
	Effect     string
	NotAction  bool
	Services   []actionGroup
	Resources  []string
	NotRes     bool
	Principals []string
	NotPrinc   bool
	Conditions []string
}

// actionGroup is the actions of one service in a statement.
type actionGroup struct {
	Service string
	Actions []string
}

// minEditorRows is the height of an editor with a short document.
const minEditorRows = 12

// newEditor makes an editor of doc as a policy of kind; checked runs the
// policy checker on it.
func newEditor(id, field, label, doc string, kind policy.Kind, checked bool) policyEditor {
	e := policyEditor{ID: id, Field: field, Label: label, Document: doc}
	n := strings.Count(doc, "\n") + 1
	e.Rows = max(minEditorRows, n+1)
	var b strings.Builder
	for i := 1; i <= e.Rows; i++ {
		if i > 1 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i))
	}
	e.Lines = b.String()
	if checked {
		f := checkAs(doc, kind)
		e.Findings = &f
	}
	e.Statements, e.Parsed = statementsOf(doc, kind)
	return e
}

// statementsOf summarizes each statement of doc; ok is false when doc does
// not parse as a policy of kind (the checker says why).
func statementsOf(doc string, kind policy.Kind) ([]statementView, bool) {
	if strings.TrimSpace(doc) == "" {
		return nil, false
	}
	p, err := policy.Parse([]byte(doc), kind)
	if err != nil {
		return nil, false
	}
	var out []statementView
	for _, s := range p.Statements() {
		v := statementView{Sid: s.Sid, Effect: s.Effect.String()}
		actions := s.Action
		if s.NotAction != nil {
			actions, v.NotAction = s.NotAction, true
		}
		v.Services = groupActions(actions)
		v.Resources = s.Resource
		if s.NotResource != nil {
			v.Resources, v.NotRes = s.NotResource, true
		}
		if len(v.Resources) == 1 && v.Resources[0] == "*" {
			v.Resources = []string{"All resources"}
		}
		princ := s.Principal
		if s.NotPrincipal != nil {
			princ, v.NotPrinc = s.NotPrincipal, true
		}
		v.Principals = principalsOf(princ)
		for _, c := range s.Condition {
			v.Conditions = append(v.Conditions, c.Operator+" "+c.Key+" = "+strings.Join(c.Values, ", "))
		}
		out = append(out, v)
	}
	return out, true
}

// groupActions groups actions by their service prefix, services and
// actions in document order; "*" is every service.
func groupActions(actions []string) []actionGroup {
	var out []actionGroup
	for _, a := range actions {
		svc, name, ok := strings.Cut(a, ":")
		if !ok {
			svc, name = "All services", a
		}
		svc = strings.ToLower(svc)
		if a == "*" {
			svc = "All services"
		}
		i := slices.IndexFunc(out, func(g actionGroup) bool { return g.Service == svc })
		if i < 0 {
			out = append(out, actionGroup{Service: svc})
			i = len(out) - 1
		}
		out[i].Actions = append(out[i].Actions, name)
	}
	return out
}

func principalsOf(p *policy.Principals) []string {
	if p == nil {
		return nil
	}
	if p.All {
		return []string{"Everyone (*)"}
	}
	var out []string
	add := func(kind string, vs []string) {
		for _, v := range vs {
			out = append(out, kind+": "+v)
		}
	}
	add("AWS", p.AWS)
	add("Service", p.Service)
	add("Federated", p.Federated)
	add("Canonical user", p.CanonicalUser)
	return out
}

// editorCheck runs the checker on a submitted editor: "Check" (check=1 in
// the form) answers with show and saves nothing; errors answer with show
// and a message, status 400. It reports whether it answered the request.
func editorCheck(r *http.Request, e policyEditor, show func(status int, msg string)) bool {
	switch {
	case r.PostFormValue("check") != "":
		show(http.StatusOK, "")
		return true
	case e.Findings != nil && e.Findings.Errors:
		show(http.StatusBadRequest, "The policy has errors, listed below the editor. Nothing was saved: fix them and save again.")
		return true
	}
	return false
}

// inlineDraft is the "Add an inline policy" form of a user, group or role
// page as it was sent: shown again, open and checked, after "Check" or a
// failed save.
type inlineDraft struct {
	Name   string
	Open   bool
	Editor policyEditor
}

// draftOf is the inline policy a POST of r put, or nil for any other request.
func draftOf(r *http.Request) *inlineDraft {
	if r.Method != http.MethodPost || r.PostFormValue("op") != "put-inline" {
		return nil
	}
	return &inlineDraft{Name: strings.TrimSpace(r.PostFormValue("policy")), Open: true,
		Editor: newEditor("inline-document", "document", "Policy document (JSON)", r.PostFormValue("document"), policy.Identity, true)}
}

// inlineChecked checks an inline policy before PutUserPolicy and the like;
// see editorCheck.
func inlineChecked(r *http.Request, show func(status int, msg string)) bool {
	return editorCheck(r, draftOf(r).Editor, show)
}

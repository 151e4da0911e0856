package console

import (
	"strconv"
	"strings"

	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/servicedata"
	"github.com/warden-iam/warden/validate"
)

// What the console says about a policy document besides its JSON: the
// findings of package validate (Access Analyzer's checks) in the editor and
// after a save, and the per-service summary of the access it grants on the
// policy page. Both are pure functions of the document, so checking a
// document needs no permission beyond the page that shows it.

// findingView is one finding as the console lists it.
type findingView struct {
	Label  string // Error, Security warning, ...
	Class  string // the badge's class
	Code   string
	Detail string
	Link   string
	Where  []string // "line 4, column 37 (Statement[0].Action[0])"
}

// findingsView is the findings of one document.
type findingsView struct {
	List   []findingView
	Counts []findingCount // the types with findings, most serious first
	Errors bool
}

type findingCount struct {
	Label string
	Class string
	N     int
}

// findingLabels gives each finding type its console name and badge class,
// in order of impact.
var findingLabels = []struct {
	typ          validate.FindingType
	label, class string
}{
	{validate.Error, "Error", "bad"},
	{validate.SecurityWarning, "Security warning", "bad"},
	{validate.Warning, "Warning", "warn"},
	{validate.Suggestion, "Suggestion", "info"},
}

// checkDocument validates a managed policy document (an identity policy).
func checkDocument(doc string) findingsView { return checkAs(doc, policy.Identity) }

// checkAs validates doc as a policy of kind: Trust for a role's trust
// policy, Identity (or Boundary, Managed) for the others.
func checkAs(doc string, kind policy.Kind) findingsView {
	fs := validate.Policy([]byte(doc), kind)
	out := findingsView{Errors: validate.HasErrors(fs)}
	counts := map[validate.FindingType]int{}
	for _, f := range fs {
		counts[f.FindingType]++
		fv := findingView{Label: string(f.FindingType), Class: "off", Code: f.IssueCode, Detail: f.FindingDetails, Link: f.LearnMoreLink}
		for _, l := range findingLabels {
			if l.typ == f.FindingType {
				fv.Label, fv.Class = l.label, l.class
			}
		}
		for _, loc := range f.Locations {
			fv.Where = append(fv.Where, where(loc))
		}
		out.List = append(out.List, fv)
	}
	for _, l := range findingLabels {
		if n := counts[l.typ]; n > 0 {
			out.Counts = append(out.Counts, findingCount{Label: l.label, Class: l.class, N: n})
		}
	}
	return out
}

// where writes a location for people: line and column from 1, as editors
// count them (the API counts columns from 0), and the JSON path.
func where(l validate.Location) string {
	s := "line " + strconv.Itoa(l.Span.Start.Line) + ", column " + strconv.Itoa(l.Span.Start.Column+1)
	var p strings.Builder
	for _, e := range l.Path {
		p.WriteString(e.String())
	}
	if path := strings.TrimPrefix(p.String(), "."); path != "" {
		s += " (" + path + ")"
	}
	return s
}

// summaryView is the policy summary of the console: for each service the
// access the policy allows or denies at each access level, the resources and
// whether conditions apply.
type summaryView struct {
	Levels       []string     // the access level columns
	Effects      []effectView // Allow, then Deny, each when the policy has any
	Services     int          // services the reference knows
	Unrecognized []string
}

// effectView is the table of one effect.
type effectView struct {
	Effect   string // Allow, Explicit deny
	ID       string // the table's element ID
	Services int    // how many services the rows cover
	Rows     []serviceRow
}

// serviceRow is one service of the summary, or all of them at once.
type serviceRow struct {
	Name       string
	Prefix     string
	All        int // > 0: the row stands for this many services, every one of them
	Levels     []levelCell
	Resources  []resourceView
	Conditions bool
}

// resourceView is a Resource value of the policy, or words such as "All
// resources".
type resourceView struct {
	Text string
	ARN  bool
}

func resourceViews(rs []string) []resourceView {
	var out []resourceView
	for _, r := range rs {
		out = append(out, resourceView{Text: r, ARN: !strings.HasPrefix(r, "All resources")})
	}
	return out
}

// levelCell is one access level of a service: Full, Limited or nothing.
type levelCell struct {
	Access  string // "Full", "Limited" or ""
	Granted int
	Total   int
	Actions string // the actions of Limited access, comma-separated
	Few     bool   // few enough actions to list them in the cell
}

// summarize summarizes a policy document for the page.
func summarize(doc string) *summaryView {
	sum := validate.Summarize([]byte(doc))
	v := &summaryView{Services: sum.Services, Unrecognized: sum.Unrecognized}
	for _, l := range servicedata.Levels {
		v.Levels = append(v.Levels, l.String())
	}
	if len(sum.Allow) > 0 {
		v.Effects = append(v.Effects, effectView{Effect: "Allow", ID: "summary-allow", Services: len(sum.Allow),
			Rows: serviceRows(v.Levels, sum.Allow, sum.Services)})
	}
	if len(sum.Deny) > 0 {
		v.Effects = append(v.Effects, effectView{Effect: "Explicit deny", ID: "summary-deny", Services: len(sum.Deny),
			Rows: serviceRows(v.Levels, sum.Deny, sum.Services)})
	}
	return v
}

// serviceRows makes the rows of one effect. When the policy covers every
// service fully, on the same resources and conditions (Action "*"), one row
// says so instead of hundreds that say the same.
func serviceRows(levels []string, list []validate.ServiceSummary, services int) []serviceRow {
	var rows []serviceRow
	for i := range list {
		s := &list[i]
		row := serviceRow{Name: s.Name, Prefix: s.Prefix, Resources: resourceViews(s.Resources), Conditions: s.Conditions}
		for _, name := range levels {
			var cell levelCell
			for _, l := range s.Levels {
				if l.Level == name {
					cell = levelCell{Access: string(l.Access), Granted: l.Granted, Total: l.Total, Actions: strings.Join(l.Actions, ", "),
						Few: len(l.Actions) <= 4}
				}
			}
			row.Levels = append(row.Levels, cell)
		}
		rows = append(rows, row)
	}
	if len(list) == 0 || len(list) < services {
		return rows
	}
	first := &list[0]
	for i := range list {
		s := &list[i]
		if !s.Full() || s.Conditions != first.Conditions || strings.Join(s.Resources, "\n") != strings.Join(first.Resources, "\n") {
			return rows
		}
	}
	all := serviceRow{Name: "All services", Prefix: "*", All: len(list), Resources: resourceViews(first.Resources), Conditions: first.Conditions}
	for range levels {
		all.Levels = append(all.Levels, levelCell{Access: string(validate.Full)})
	}
	return []serviceRow{all}
}

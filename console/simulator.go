package console

import (
	"net/http"
	"strconv"
	"strings"
)

// The policy simulator: what a user, group or role may do, asked of the
// simulator API (SimulatePrincipalPolicy) — the same decision path as
// enforcement — without doing it.

func (c *Console) simulatorRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/simulator", c.authed(c.simulatorPage))
}

type simResult struct {
	Results []struct {
		Action   string `xml:"EvalActionName"`
		Resource string `xml:"EvalResourceName"`
		Decision string `xml:"EvalDecision"`
		Matched  []struct {
			Policy string `xml:"SourcePolicyId"`
			Type   string `xml:"SourcePolicyType"`
			Line   int    `xml:"StartPosition>Line"`
		} `xml:"MatchedStatements>member"`
		Missing []string `xml:"MissingContextValues>member"`
	} `xml:"EvaluationResults>member"`
	pager
}

type simulatorData struct {
	Principals []simPrincipal
	Source     string
	Actions    string
	Resources  string
	Result     *simResult
	Error      string
}

type simPrincipal struct{ Kind, Name, Arn string }

// maxSimulatedActions bounds what one page asks of the simulator.
const maxSimulatedActions = 100

func (c *Console) simulatorPage(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, p := r.Context(), &v.p
	q := r.URL.Query()
	d := simulatorData{Source: q.Get("source"), Actions: q.Get("actions"), Resources: q.Get("resources")}
	if users, err := callAll(ctx, c, p, "ListUsers", nil, func() *usersResult { return &usersResult{} },
		func(r *usersResult) []userView { return r.Users }); err == nil {
		for _, u := range users {
			d.Principals = append(d.Principals, simPrincipal{"User", u.UserName, u.Arn})
		}
	}
	if groups, err := callAll(ctx, c, p, "ListGroups", nil, func() *groupsResult { return &groupsResult{} },
		func(r *groupsResult) []groupView { return r.Groups }); err == nil {
		for _, g := range groups {
			d.Principals = append(d.Principals, simPrincipal{"Group", g.GroupName, g.Arn})
		}
	}
	if roles, err := callAll(ctx, c, p, "ListRoles", nil, func() *rolesResult { return &rolesResult{} },
		func(r *rolesResult) []roleView { return r.Roles }); err == nil {
		for _, ro := range roles {
			d.Principals = append(d.Principals, simPrincipal{"Role", ro.RoleName, ro.Arn})
		}
	}
	actions := fields(d.Actions)
	status := http.StatusOK
	if d.Source != "" && len(actions) > 0 {
		if len(actions) > maxSimulatedActions {
			d.Error = "Simulate at most " + strconv.Itoa(maxSimulatedActions) + " actions at once."
			status = http.StatusBadRequest
		} else {
			in := form("PolicySourceArn", d.Source, "MaxItems", strconv.Itoa(maxSimulatedActions))
			for i, a := range actions {
				in.Set("ActionNames.member."+strconv.Itoa(i+1), a)
			}
			for i, res := range fields(d.Resources) {
				in.Set("ResourceArns.member."+strconv.Itoa(i+1), res)
			}
			var res simResult
			if err := c.call(ctx, p, "SimulatePrincipalPolicy", in, &res); err != nil {
				msg, ok := errMessage(err)
				if !ok {
					c.fail(w, r, v, err)
					return
				}
				d.Error, status = msg, http.StatusBadRequest
			} else {
				d.Result = &res
			}
		}
	}
	c.render(w, r, status, "simulator.html", &view{Title: "Policy simulator", Nav: "simulator", Who: whoOf(v), Data: d})
}

// fields splits a text area into its lines' words (actions or ARNs).
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' || r == ',' || r == '\t' })
}

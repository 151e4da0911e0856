package iam

import (
	"bytes"
	"context"
	"encoding/xml"
	"slices"
	"unicode/utf8"

	awsarn "github.com/warden-iam/warden/arn"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/servicedata"
)

// Evaluating a simulation: one EvaluationResult per action, summing up the
// decisions on each requested resource, with statement positions and
// cross-account decision details.

type wEvaluationResult struct {
	EvalActionName                    string                `xml:"EvalActionName"`
	EvalResourceName                  string                `xml:"EvalResourceName"`
	EvalDecision                      string                `xml:"EvalDecision"`
	MatchedStatements                 list[wStatement]      `xml:"MatchedStatements"`
	MissingContextValues              list[string]          `xml:"MissingContextValues"`
	OrganizationsDecisionDetail       *wOrganizationsDetail `xml:"OrganizationsDecisionDetail,omitempty"`
	PermissionsBoundaryDecisionDetail *wBoundaryDetail      `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
	EvalDecisionDetails               *decisionDetails      `xml:"EvalDecisionDetails,omitempty"`
	ResourceSpecificResults           list[wResourceResult] `xml:"ResourceSpecificResults,omitempty"`
}

type wResourceResult struct {
	EvalResourceName                  string           `xml:"EvalResourceName"`
	EvalResourceDecision              string           `xml:"EvalResourceDecision"`
	MatchedStatements                 list[wStatement] `xml:"MatchedStatements"`
	MissingContextValues              list[string]     `xml:"MissingContextValues"`
	EvalDecisionDetails               *decisionDetails `xml:"EvalDecisionDetails,omitempty"`
	PermissionsBoundaryDecisionDetail *wBoundaryDetail `xml:"PermissionsBoundaryDecisionDetail,omitempty"`
}

type wStatement struct {
	SourcePolicyID   string    `xml:"SourcePolicyId"`
	SourcePolicyType string    `xml:"SourcePolicyType,omitempty"`
	StartPosition    wPosition `xml:"StartPosition"`
	EndPosition      wPosition `xml:"EndPosition"`
}

type wPosition struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

type wOrganizationsDetail struct {
	AllowedByOrganizations bool `xml:"AllowedByOrganizations"`
}

type wBoundaryDetail struct {
	AllowedByPermissionsBoundary bool `xml:"AllowedByPermissionsBoundary"`
}

// decisionDetails is the EvalDecisionDetails map, by policy type, written
// as the Query protocol writes maps: <entry><key/><value/></entry>.
type decisionDetails map[string]string

func (m *decisionDetails) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	keys := make([]string, 0, len(*m))
	for k := range *m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	type entry struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	for _, k := range keys {
		if err := e.EncodeElement(entry{k, (*m)[k]}, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// The keys of EvalDecisionDetails: the caller's side and the resource's side
// of a cross-account request.
const (
	detailIdentity = "IAM Policy"
	detailResource = "Resource Policy"
)

// decisionNames spells policy decisions as the simulator does.
var decisionNames = [...]string{policy.Allow: "allowed", policy.ImplicitDeny: "implicitDeny", policy.ExplicitDeny: "explicitDeny"}

func restrictiveness(d string) int {
	switch d {
	case "explicitDeny":
		return 2
	case "implicitDeny":
		return 1
	}
	return 0
}

// simulate evaluates the page of actions that Marker and MaxItems select,
// within the pair budget of a page (see simulator_page.go).
func (s *Service) simulate(ctx context.Context, sim *authz.Simulation, in *simulationInput) (*simulateOutput, error) {
	keys, _ := contextOf(in.ContextEntries) // validated
	r := &simRun{sim: sim, context: keys, owner: resourceOwner(in.ResourceOwner), keyed: keyedStatements(sim.Sources())}
	for _, res := range in.ResourceArns {
		if res != "*" {
			r.resources = in.ResourceArns
			break
		}
	}
	pg, err := in.simulationPage(len(r.resources))
	if err != nil {
		return nil, err
	}
	out := &simulateOutput{EvaluationResults: make(list[wEvaluationResult], 0, pg.end-pg.start), page: pg.page}
	for _, action := range in.ActionNames[pg.start:pg.end] {
		if err := ctx.Err(); err != nil {
			return nil, err // the client is gone: stop evaluating
		}
		er, err := r.evaluate(ctx, action)
		if err != nil {
			return nil, err
		}
		out.EvaluationResults = append(out.EvaluationResults, er)
	}
	return out, nil
}

// simRun is one simulation request being answered.
type simRun struct {
	sim       *authz.Simulation
	context   map[string][]string
	resources []string // nil: every resource, "*"
	owner     string   // account of resources whose ARN names none
	keyed     []keyedStatement
	// statements memoizes the reported statements: finding the position
	// of a statement deep in a large policy takes a scan of the document.
	statements map[stmtKey]wStatement
}

type stmtKey struct {
	src  *authz.Source
	stmt int
}

// outcome is the answer for one action on one resource.
type outcome struct {
	decision string
	matched  []wStatement
	missing  []string
	details  decisionDetails // nil within an account
	boundary bool            // allowed by the permissions boundary
}

func (r *simRun) evaluate(ctx context.Context, action string) (wEvaluationResult, error) {
	resources := r.resources
	if resources == nil {
		resources = []string{"*"}
	}
	er := wEvaluationResult{EvalActionName: action, EvalResourceName: "*",
		MatchedStatements: list[wStatement]{}, MissingContextValues: list[string]{},
		OrganizationsDecisionDetail: &wOrganizationsDetail{AllowedByOrganizations: true}}
	outs := make([]outcome, len(resources))
	for i, res := range resources {
		o, err := r.decide(ctx, action, res)
		if err != nil {
			return er, err
		}
		outs[i] = o
	}
	// The summary: the most restrictive decision, the statements behind it,
	// every missing key, the most restrictive decision of each policy type.
	boundaryOK, cross := true, false
	for _, o := range outs {
		if restrictiveness(o.decision) > restrictiveness(er.EvalDecision) || er.EvalDecision == "" {
			er.EvalDecision = o.decision
		}
		boundaryOK = boundaryOK && o.boundary
		cross = cross || o.details != nil
	}
	seen := map[wStatement]bool{}
	for _, o := range outs {
		if o.decision == er.EvalDecision {
			for _, m := range o.matched {
				if !seen[m] {
					seen[m] = true
					er.MatchedStatements = append(er.MatchedStatements, m)
				}
			}
		}
		for _, k := range o.missing {
			er.MissingContextValues = appendKey(er.MissingContextValues, k)
		}
	}
	switch {
	case cross:
		sum := decisionDetails{}
		for _, o := range outs {
			for k, v := range o.details {
				if cur, ok := sum[k]; !ok || restrictiveness(v) > restrictiveness(cur) {
					sum[k] = v
				}
			}
		}
		er.EvalDecisionDetails = &sum
	case r.resources != nil:
		er.EvalDecisionDetails = &decisionDetails{} // present but empty within an account
	}
	if r.sim.HasBoundary() {
		er.PermissionsBoundaryDecisionDetail = &wBoundaryDetail{boundaryOK}
	}
	if r.resources == nil {
		return er, nil
	}
	er.EvalResourceName = resourceTemplate(action, r.resources)
	for i, o := range outs {
		rr := wResourceResult{EvalResourceName: resources[i], EvalResourceDecision: o.decision,
			MatchedStatements: o.matched, MissingContextValues: o.missing}
		if o.details != nil {
			rr.EvalDecisionDetails = &o.details
		}
		if r.sim.HasBoundary() {
			rr.PermissionsBoundaryDecisionDetail = &wBoundaryDetail{o.boundary}
		}
		er.ResourceSpecificResults = append(er.ResourceSpecificResults, rr)
	}
	return er, nil
}

// decide evaluates action on one resource.
func (r *simRun) decide(ctx context.Context, action, resource string) (outcome, error) {
	req := authz.Request{Action: action, Resource: resource, Context: r.context}
	resAccount := ""
	if a, err := awsarn.Parse(resource); err == nil {
		resAccount = a.AccountID
	}
	if resAccount == "" && r.owner != "" {
		req.ResourceAccount, resAccount = r.owner, r.owner
	}
	d, err := r.sim.Decide(ctx, req)
	if err != nil {
		return outcome{}, err
	}
	res := &d.Result
	o := outcome{decision: decisionNames[res.Decision], matched: list[wStatement]{},
		boundary: res.AllowedBy(policy.Boundary) && !boundaryDenied(res)}
	for _, m := range res.Deciding() {
		src := r.sim.Source(m)
		if src == nil || src.Policy == nil {
			continue
		}
		o.matched = append(o.matched, r.statement(src, m.Statement))
	}
	o.missing = r.missingKeys(action, resource, &d.Request.Context)
	if callerAcct := r.sim.Caller().Principal.Account; resAccount != "" && callerAcct != "" && resAccount != callerAcct {
		o.details = crossAccountDetails(d, r.sim.HasBoundary())
	}
	return o, nil
}

// statement reports statement i of src.
func (r *simRun) statement(src *authz.Source, i int) wStatement {
	k := stmtKey{src, i}
	if st, ok := r.statements[k]; ok {
		return st
	}
	st := wStatement{SourcePolicyID: src.ID, SourcePolicyType: string(src.Type)}
	st.StartPosition, st.EndPosition = statementPositions(src, i)
	if r.statements == nil {
		r.statements = map[stmtKey]wStatement{}
	}
	r.statements[k] = st
	return st
}

// statementPositions returns where statement i of src starts and ends.
func statementPositions(src *authz.Source, i int) (start, end wPosition) {
	from, to := src.Policy.StatementSpan(i)
	raw := src.Policy.Raw()
	return position(raw, from), position(raw, to-1)
}

func boundaryDenied(res *policy.Result) bool {
	if res.Decision != policy.ExplicitDeny {
		return false
	}
	for _, m := range res.Deciding() {
		if m.Kind == policy.Boundary {
			return true
		}
	}
	return false
}

// crossAccountDetails sums up how the caller's side (identity policies
// within the boundary) and the resource's side decided a cross-account
// request.
func crossAccountDetails(d *authz.Decision, hasBoundary bool) decisionDetails {
	res := &d.Result
	denied := map[policy.Kind]bool{}
	if res.Decision == policy.ExplicitDeny {
		for _, m := range res.Deciding() {
			denied[m.Kind] = true
		}
	}
	identity := "implicitDeny"
	switch {
	case denied[policy.Identity] || denied[policy.Boundary]:
		identity = "explicitDeny"
	case d.BillingBlocked:
	case res.AllowedBy(policy.Identity) && (!hasBoundary || res.AllowedBy(policy.Boundary)):
		identity = "allowed"
	}
	resource := "implicitDeny"
	switch {
	case denied[policy.Resource]:
		resource = "explicitDeny"
	case res.AllowedBy(policy.Resource):
		resource = "allowed"
	}
	return decisionDetails{detailIdentity: identity, detailResource: resource}
}

// position is the simulator's position of the byte at offset off in doc:
// a 1-based line, and the column just after that character (the first
// character of a line has column 2), as IAM reports statement positions.
// Columns count characters, not bytes.
func position(doc []byte, off int) wPosition {
	if off < 0 {
		off = 0
	}
	if off > len(doc) {
		off = len(doc)
	}
	before := doc[:off]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return wPosition{Line: bytes.Count(before, []byte{'\n'}) + 1, Column: utf8.RuneCount(before[lineStart:]) + 2}
}

// resourceTemplate is the EvalResourceName of an action simulated on
// resources: the ARN format of the action's resource type that the
// resources are of, or "*" when the action names no resource type (or an
// unknown one).
func resourceTemplate(action string, resources []string) string {
	ref, err := servicedata.Load()
	if err != nil {
		return "*"
	}
	a := ref.Action(action)
	if a == nil {
		return "*"
	}
	for _, res := range resources {
		for _, ar := range a.Resources {
			if len(ar.Type.ARNFormats) > 0 && ar.Type.Matches(res) {
				return ar.Type.ARNFormats[0]
			}
		}
	}
	return "*"
}

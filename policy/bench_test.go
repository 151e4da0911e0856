package policy_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cedar "github.com/cedar-policy/cedar-go"
	cedartypes "github.com/cedar-policy/cedar-go/types"

	"github.com/warden-iam/warden/policy"
)

// The benchmark workload: a principal with nPolicies policies of 10
// statements each, drawn from 20 services with wildcard actions and ARNs and
// a few conditions, and a list of requests of which about half are allowed.
// The same statements are written in Cedar for BenchmarkCedar*.

// benchServices leaves out iam: IAM refuses its resources without a type
// (user/, role/, ...), and the generator names resources res-N-M.
var benchServices = []string{
	"s3", "iot", "ec2", "dynamodb", "sqs", "sns", "lambda", "logs", "kms", "secretsmanager",
	"cloudwatch", "rds", "ecr", "ecs", "events", "ssm", "kinesis", "glue", "athena", "states",
}

var benchVerbs = []string{"Get", "List", "Describe", "Put", "Delete", "Create", "Update", "Tag"}

var benchNouns = []string{"Object", "Item", "Queue", "Topic", "Function", "Key", "Secret", "Table", "Stream", "Image"}

type benchStmt struct {
	deny      bool
	service   string
	actions   []string // IAM patterns
	resource  string   // IAM pattern
	condition string   // "", "team", "ip", "secure", "date"
}

type benchWorkload struct {
	stmts    [][]benchStmt // by policy
	requests []benchRequest
}

type benchRequest struct {
	action, resource string
	team             string
	ip               string
	secure           bool
}

func newWorkload(nPolicies int) *benchWorkload {
	r := rand.New(rand.NewPCG(1, uint64(nPolicies)))
	w := &benchWorkload{}
	for p := 0; p < nPolicies; p++ {
		var ss []benchStmt
		for s := 0; s < 10; s++ {
			svc := benchServices[r.IntN(len(benchServices))]
			st := benchStmt{deny: r.IntN(10) == 0, service: svc}
			for a := 0; a < 1+r.IntN(3); a++ {
				verb := benchVerbs[r.IntN(len(benchVerbs))]
				switch r.IntN(10) {
				case 0:
					st.actions = append(st.actions, svc+":*")
				case 1, 2, 3:
					st.actions = append(st.actions, svc+":"+verb+benchNouns[r.IntN(len(benchNouns))])
				default:
					st.actions = append(st.actions, svc+":"+verb+"*")
				}
			}
			if st.deny {
				st.resource = fmt.Sprintf("arn:aws:%s:*:123456789012:secret-%d/*", svc, r.IntN(5))
			} else {
				st.resource = fmt.Sprintf("arn:aws:%s:*:123456789012:res-%d-%d/*", svc, p, s)
			}
			switch r.IntN(6) {
			case 0:
				st.condition = "team"
			case 1:
				st.condition = "ip"
			case 2:
				st.condition = "secure"
			case 3:
				st.condition = "date"
			}
			ss = append(ss, st)
		}
		w.stmts = append(w.stmts, ss)
	}
	// Requests: half aimed at an Allow statement (with its condition met),
	// a quarter at random (implicitly denied) and a quarter at a Deny
	// statement (explicitly denied).
	pick := func(deny bool) benchStmt {
		for {
			ss := w.stmts[r.IntN(len(w.stmts))]
			if st := ss[r.IntN(len(ss))]; st.deny == deny {
				return st
			}
		}
	}
	concrete := func(st benchStmt) (action, resource string) {
		pat := st.actions[r.IntN(len(st.actions))]
		action = strings.ReplaceAll(pat, "*", "Thing")
		resource = strings.Replace(strings.ReplaceAll(st.resource, "*", "x"), ":x:", ":us-east-1:", 1)
		return action, resource
	}
	for i := 0; len(w.requests) < 256; i++ {
		req := benchRequest{team: "red", ip: "10.1.2.3", secure: true}
		switch i % 4 {
		case 0, 2:
			req.action, req.resource = concrete(pick(false))
		case 1:
			req.team, req.ip, req.secure = "blue", "192.168.1.1", false
			svc := benchServices[r.IntN(len(benchServices))]
			req.action = svc + ":" + benchVerbs[r.IntN(len(benchVerbs))] + benchNouns[r.IntN(len(benchNouns))]
			req.resource = fmt.Sprintf("arn:aws:%s:us-east-1:123456789012:res-%d-%d/obj", svc, r.IntN(len(w.stmts)), r.IntN(10))
		case 3:
			req.action, req.resource = concrete(pick(true))
		}
		w.requests = append(w.requests, req)
	}
	return w
}

func (w *benchWorkload) iamSet(tb testing.TB) *policy.Set {
	var named []policy.Named
	for p, ss := range w.stmts {
		var b strings.Builder
		b.WriteString(`{"Version":"2012-10-17","Statement":[`)
		for i, st := range ss {
			if i > 0 {
				b.WriteString(",")
			}
			effect := "Allow"
			if st.deny {
				effect = "Deny"
			}
			fmt.Fprintf(&b, `{"Sid":"S%d","Effect":%q,"Action":["%s"],"Resource":%q`, i, effect, strings.Join(st.actions, `","`), st.resource)
			switch st.condition {
			case "team":
				b.WriteString(`,"Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}`)
			case "ip":
				b.WriteString(`,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","172.16.0.0/12"]}}`)
			case "secure":
				b.WriteString(`,"Condition":{"Bool":{"aws:SecureTransport":"true"}}`)
			case "date":
				b.WriteString(`,"Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)
			}
			b.WriteString("}")
		}
		b.WriteString("]}")
		pol, err := policy.Parse([]byte(b.String()), policy.Identity)
		if err != nil {
			tb.Fatalf("policy %d: %v\n%s", p, err, b.String())
		}
		named = append(named, policy.Named{Name: fmt.Sprintf("policy-%d", p), Policy: pol})
	}
	return policy.Compile(named...)
}

func (w *benchWorkload) iamRequests() []policy.Request {
	reqs := make([]policy.Request, len(w.requests))
	for i, br := range w.requests {
		r := &reqs[i]
		r.Action, r.Resource = br.action, br.resource
		r.Principal = policy.Principal{Type: policy.User, Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/alice"}
		r.Context.Set("aws:username", "alice")
		r.Context.Set("aws:userid", "AIDAEXAMPLE")
		r.Context.Set("aws:PrincipalAccount", "123456789012")
		r.Context.Set("aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice")
		r.Context.Set("aws:PrincipalTag/team", br.team)
		r.Context.Set("aws:SourceIp", br.ip)
		r.Context.Set("aws:SecureTransport", fmt.Sprint(br.secure))
		r.Context.Set("aws:CurrentTime", "2025-06-01T12:00:00Z")
		r.Context.Set("aws:EpochTime", "1748779200")
		r.Context.Set("aws:MultiFactorAuthPresent", "false")
	}
	return reqs
}

func benchEvaluate(b *testing.B, nPolicies int) {
	w := newWorkload(nPolicies)
	in := &policy.Input{Identity: w.iamSet(b)}
	reqs := w.iamRequests()
	allowed := 0
	for i := range reqs {
		if policy.Evaluate(in, &reqs[i]).Decision == policy.Allow {
			allowed++
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		policy.Evaluate(in, &reqs[i%len(reqs)])
		i++
	}
	b.ReportMetric(float64(allowed)/float64(len(reqs)), "allowed/op")
}

func BenchmarkEvaluate10x10(b *testing.B)  { benchEvaluate(b, 10) }
func BenchmarkEvaluate100x10(b *testing.B) { benchEvaluate(b, 100) }

// cedarPolicies writes the workload in Cedar. Actions and resources travel
// in the context and are matched with like, the closest Cedar has to IAM
// wildcards (its * also crosses ARN sections, a difference that does not
// matter for this workload).
func (w *benchWorkload) cedarPolicies(tb testing.TB) *cedar.PolicySet {
	var b strings.Builder
	for p, ss := range w.stmts {
		for i, st := range ss {
			effect := "permit"
			if st.deny {
				effect = "forbid"
			}
			var acts []string
			for _, a := range st.actions {
				acts = append(acts, fmt.Sprintf("context.action like %q", strings.ToLower(a)))
			}
			fmt.Fprintf(&b, "@id(\"policy-%d/%d\")\n%s (principal, action, resource) when { (%s) && context.resource like %q",
				p, i, effect, strings.Join(acts, " || "), st.resource)
			switch st.condition {
			case "team":
				b.WriteString(` && context.team == "red"`)
			case "ip":
				b.WriteString(` && (context.ip.isInRange(ip("10.0.0.0/8")) || context.ip.isInRange(ip("172.16.0.0/12")))`)
			case "secure":
				b.WriteString(` && context.secure == true`)
			case "date":
				b.WriteString(` && context.epoch < 1893456000`)
			}
			b.WriteString(" };\n")
		}
	}
	ps, err := cedar.NewPolicySetFromBytes("bench.cedar", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

func (w *benchWorkload) cedarRequests(tb testing.TB) []cedar.Request {
	reqs := make([]cedar.Request, len(w.requests))
	for i, br := range w.requests {
		ip, err := cedartypes.ParseIPAddr(br.ip)
		if err != nil {
			tb.Fatal(err)
		}
		reqs[i] = cedar.Request{
			Principal: cedar.NewEntityUID("User", "alice"),
			Action:    cedar.NewEntityUID("Action", "call"),
			Resource:  cedar.NewEntityUID("Resource", cedar.String(br.resource)),
			Context: cedar.NewRecord(cedar.RecordMap{
				"action":   cedar.String(strings.ToLower(br.action)),
				"resource": cedar.String(br.resource),
				"team":     cedar.String(br.team),
				"ip":       ip,
				"secure":   cedar.Boolean(br.secure),
				"epoch":    cedar.Long(1748779200),
			}),
		}
	}
	return reqs
}

func benchCedar(b *testing.B, nPolicies int) {
	w := newWorkload(nPolicies)
	ps := w.cedarPolicies(b)
	reqs := w.cedarRequests(b)
	entities := cedar.EntityMap{}
	allowed := 0
	for i := range reqs {
		if d, _ := cedar.Authorize(ps, entities, reqs[i]); d == cedar.Allow {
			allowed++
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		cedar.Authorize(ps, entities, reqs[i%len(reqs)])
		i++
	}
	b.ReportMetric(float64(allowed)/float64(len(reqs)), "allowed/op")
}

func BenchmarkCedar10x10(b *testing.B)  { benchCedar(b, 10) }
func BenchmarkCedar100x10(b *testing.B) { benchCedar(b, 100) }

// TestCedarAgrees checks that the Cedar transcription decides the workload
// as the IAM engine does, so the comparison is of equal work.
func TestCedarAgrees(t *testing.T) {
	for _, n := range []int{10, 100} {
		w := newWorkload(n)
		in := &policy.Input{Identity: w.iamSet(t)}
		iamReqs := w.iamRequests()
		ps := w.cedarPolicies(t)
		cedarReqs := w.cedarRequests(t)
		for i := range iamReqs {
			got := policy.Evaluate(in, &iamReqs[i]).Decision == policy.Allow
			d, _ := cedar.Authorize(ps, cedar.EntityMap{}, cedarReqs[i])
			if want := d == cedar.Allow; got != want {
				t.Errorf("%d policies, request %d (%s %s): IAM allow=%v, Cedar allow=%v", n, i, iamReqs[i].Action, iamReqs[i].Resource, got, want)
			}
		}
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	w := newWorkload(10)
	set := w.iamSet(t)
	in := &policy.Input{Identity: set, Boundary: set, Session: set, Resource: set}
	reqs := w.iamRequests()
	for i := range reqs {
		reqs[i].Principal = policy.Principal{Type: policy.RoleSession, Account: "123456789012",
			ARN: "arn:aws:sts::123456789012:assumed-role/R/s", IssuerARN: "arn:aws:iam::123456789012:role/R"}
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		policy.Evaluate(in, &reqs[i%len(reqs)])
		i++
	})
	if allocs != 0 {
		t.Fatalf("Evaluate allocates %v times per call", allocs)
	}
}

// BenchmarkEvaluateOneService is the worst case for the action index: 1,000
// statements that all match the action and differ only in their resource.
func BenchmarkEvaluateOneService(b *testing.B) {
	var named []policy.Named
	for p := 0; p < 100; p++ {
		var stmts []string
		for s := 0; s < 10; s++ {
			stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket-%d-%d/*"}`, p, s))
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		pol, err := policy.Parse([]byte(doc), policy.Identity)
		if err != nil {
			b.Fatal(err)
		}
		named = append(named, policy.Named{Name: fmt.Sprint(p), Policy: pol})
	}
	in := &policy.Input{Identity: policy.Compile(named...)}
	reqs := []policy.Request{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket-42-7/key"},
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::other/key"},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		policy.Evaluate(in, &reqs[i%len(reqs)])
		i++
	}
}

// TestEvaluateConcurrent shares one Set between goroutines; run with -race.
func TestEvaluateConcurrent(t *testing.T) {
	w := newWorkload(10)
	in := &policy.Input{Identity: w.iamSet(t)}
	reqs := w.iamRequests()
	want := make([]policy.Decision, len(reqs))
	for i := range reqs {
		want[i] = policy.Evaluate(in, &reqs[i]).Decision
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			for i := range reqs {
				if got := policy.Evaluate(in, &reqs[i]).Decision; got != want[i] {
					done <- fmt.Errorf("request %d: %v, want %v", i, got, want[i])
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkParseCorpus parses every document of the API grammar corpus
// (accepted and refused) once per iteration, as the kind it is sent as.
func BenchmarkParseCorpus(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "cmd", "warden", "testdata", "grammar", "cases.json"))
	if err != nil {
		b.Fatal(err)
	}
	var corpus struct {
		Cases []struct {
			Kind string          `json:"kind"`
			Doc  json.RawMessage `json:"doc"`
			Raw  *string         `json:"raw"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &corpus); err != nil {
		b.Fatal(err)
	}
	kinds := map[string]policy.Kind{"identity": policy.Identity, "inline": policy.Identity, "managed": policy.Managed,
		"trust": policy.Trust, "session": policy.Session}
	type doc struct {
		b    []byte
		kind policy.Kind
	}
	docs := make([]doc, len(corpus.Cases))
	for i, c := range corpus.Cases {
		docs[i] = doc{[]byte(c.Doc), kinds[c.Kind]}
		if c.Raw != nil {
			docs[i].b = []byte(*c.Raw)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			policy.Parse(d.b, d.kind)
		}
	}
}

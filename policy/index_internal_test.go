package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// evaluateUnindexed is Evaluate without the indexes: every statement of
// every set is visited through its first matching action pattern.
func evaluateUnindexed(in *Input, req *Request) Result {
	st := evalState{
		req:         req,
		action:      req.Action,
		res:         newARNValue(req.Resource),
		hasBoundary: in.Boundary != nil,
		sets:        [numSlots]*Set{in.Identity, in.Boundary, in.Session, in.Resource},
	}
	for sl := slotIdentity; sl < numSlots; sl++ {
		s := st.sets[sl]
		if s == nil {
			continue
		}
		st.slot = sl
		for i := range s.stmts {
			r := ref{stmt: int32(i), pat: -1, res: -1}
			if !s.stmts[i].notAction {
				for j := range s.stmts[i].actions {
					if s.stmts[i].actions[j].match(req.Action) {
						r.pat, r.proven = int32(j), true
						break
					}
				}
				if r.pat < 0 {
					continue
				}
			}
			s.visit(&st, r)
		}
	}
	var res Result
	st.decide(in, &res)
	return res
}

// TestIndexAgreesWithScan compares indexed evaluation with a full scan over
// random policies dense enough to build resource tries.
func TestIndexAgreesWithScan(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { indexAgreesWithScan(t, seed) })
	}
}

func indexAgreesWithScan(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	services := []string{"s3", "sqs", "iam"}
	actions := []string{"*", "s3:*", "s3:Get*", "s3:GetObject", "s3:*Object", "S3:get?bject", "sqs:*", "sqs:Send*", "iam:*User*", "iam:GetUser"}
	resources := []string{"*", "arn:aws:s3:::b%d/*", "arn:aws:s3:::b%d", "arn:aws:s3:::b%d*", "arn:aws:sqs:*:123456789012:q%d",
		"arn:aws:iam::*:user/u%d", "arn:aws:*:::b%d/*", "arn:aws:s3:::b%d/${aws:username}/*", "arn:aws:s3:::b?%d/*"}
	var named []Named
	for p := 0; p < 20; p++ {
		var stmts []string
		for s := 0; s < 20; s++ {
			effect := "Allow"
			if r.IntN(8) == 0 {
				effect = "Deny"
			}
			actKey, resKey := "Action", "Resource"
			if r.IntN(10) == 0 {
				actKey = "NotAction"
			}
			if r.IntN(10) == 0 {
				resKey = "NotResource"
			}
			var acts, ress []string
			for i := 0; i <= r.IntN(3); i++ {
				acts = append(acts, actions[r.IntN(len(actions))])
			}
			for i := 0; i <= r.IntN(3); i++ {
				res := resources[r.IntN(len(resources))]
				if strings.Contains(res, "%d") {
					res = fmt.Sprintf(res, r.IntN(5))
				}
				ress = append(ress, res)
			}
			stmts = append(stmts, fmt.Sprintf(`{"Effect":%q,%q:["%s"],%q:["%s"]}`, effect, actKey, strings.Join(acts, `","`), resKey, strings.Join(ress, `","`)))
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		pol, err := Parse([]byte(doc), Identity)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		named = append(named, Named{Name: fmt.Sprint(p), Policy: pol})
	}
	set := Compile(named...)
	indexed := 0
	for i := range set.actions.nodes {
		if set.actions.nodes[i].prefix.byRes != nil || set.actions.nodes[i].exact.byRes != nil {
			indexed++
		}
	}
	if set.always.byRes != nil {
		indexed++
	}
	if indexed == 0 {
		t.Fatal("the random policies built no resource trie; the test tests nothing")
	}
	in := &Input{Identity: set}
	reqActions := []string{"s3:GetObject", "s3:getobject", "s3:PutObject", "sqs:SendMessage", "iam:GetUser", "iam:CreateUser", "ec2:RunInstances"}
	for i := 0; i < 3000; i++ {
		req := Request{Action: reqActions[r.IntN(len(reqActions))]}
		switch svc := services[r.IntN(len(services))]; svc {
		case "s3":
			req.Resource = fmt.Sprintf("arn:aws:s3:::b%d/k%d", r.IntN(6), r.IntN(3))
			if r.IntN(4) == 0 {
				req.Resource = fmt.Sprintf("arn:aws:s3:::b%d", r.IntN(6))
			}
		case "sqs":
			req.Resource = fmt.Sprintf("arn:aws:sqs:us-east-1:123456789012:q%d", r.IntN(6))
		case "iam":
			req.Resource = fmt.Sprintf("arn:aws:iam::123456789012:user/u%d", r.IntN(6))
		}
		if r.IntN(20) == 0 {
			req.Resource = "*"
		}
		if r.IntN(2) == 0 {
			req.Context.Set("aws:username", "k1")
		}
		got, want := Evaluate(in, &req), evaluateUnindexed(in, &req)
		if got.Decision != want.Decision || fmt.Sprint(got.Deciding()) != fmt.Sprint(want.Deciding()) {
			t.Fatalf("%s on %s:\nindexed %v %v\n   scan %v %v", req.Action, req.Resource, got.Decision, got.Deciding(), want.Decision, want.Deciding())
		}
	}
}

// FuzzIndex checks indexed evaluation against a full scan for arbitrary
// documents and requests.
func FuzzIndex(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:*"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b*"]},{"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*"}]}`, "s3:GetObject", "arn:aws:s3:::b/k", 3)
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*User?","NotResource":"arn:aws:iam::*:user/x"}}`, "IAM:GetUsers", "arn:aws:iam::1:user/y", 20)
	f.Fuzz(func(t *testing.T, doc, action, resource string, copies int) {
		p, err := Parse([]byte(doc), Identity)
		if err != nil {
			return
		}
		// Enough copies of the policy to cross resIndexMin.
		n := 1 + (copies&31)%24
		named := make([]Named, n)
		for i := range named {
			named[i] = Named{Name: fmt.Sprint(i), Policy: p}
		}
		in := &Input{Identity: Compile(named...)}
		req := Request{Action: action, Resource: resource}
		req.Context.Set("aws:username", "alice")
		got, want := Evaluate(in, &req), evaluateUnindexed(in, &req)
		if got.Decision != want.Decision || fmt.Sprint(got.Deciding()) != fmt.Sprint(want.Deciding()) {
			t.Fatalf("indexed %v %v, scan %v %v", got.Decision, got.Deciding(), want.Decision, want.Deciding())
		}
	})
}

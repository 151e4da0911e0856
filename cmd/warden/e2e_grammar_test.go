package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// grammarCase is one document of testdata/grammar/cases.json: what IAM
// answers when it is given as a policy of the kind, with where that answer
// is recorded.
//
// A refusal is either recorded — IAM's answer to this very document, found
// in a public record that Source names (a URL or a repository and path), sent
// through the operation the record shows (Op) — or a variant: another value
// under the message of a recorded rule, which Source then names. A recorded
// document the record shows only in part, or with values filled in (a
// redacted account, a template variable), is marked Reconstructed.
type grammarCase struct {
	ID     string          `json:"id"`
	Kind   string          `json:"kind"` // identity, managed, inline, trust, session
	Doc    json.RawMessage `json:"doc"`
	Raw    *string         `json:"raw"` // a document sent as is (not JSON, or its bytes matter)
	Want   string          `json:"want"`
	Source string          `json:"source"`
	// Op is the operation the recorded answer came from; "" lets the test
	// spread the case over the operations of its kind.
	Op            string `json:"op,omitempty"`
	Variant       bool   `json:"variant,omitempty"`
	Reconstructed bool   `json:"reconstructed,omitempty"`
	// Gap, on a recorded refusal Warden does not reproduce, says why and
	// what Warden answers instead: "accepted", or the message it gives.
	// The test holds Warden to that answer, so that the case is revisited
	// when the gap closes, and does not count the case as a refusal.
	Gap       string `json:"gap,omitempty"`
	GapAnswer string `json:"gapAnswer,omitempty"`
}

func (c grammarCase) document() string {
	if c.Raw != nil {
		return *c.Raw
	}
	return string(c.Doc)
}

const versionMessage = "Policy document must be version 2012-10-17 or greater."

// TestE2EPolicyGrammar sends every document of the corpus through the API
// that takes its kind — CreatePolicy, CreatePolicyVersion, PutUserPolicy,
// PutGroupPolicy, PutRolePolicy, CreateRole, UpdateAssumeRolePolicy and
// AssumeRole's Policy — and wants IAM's answer: success, or
// MalformedPolicyDocument (400) with IAM's message word for word.
func TestE2EPolicyGrammar(t *testing.T) {
	raw, err := os.ReadFile("testdata/grammar/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []grammarCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	accepted, recorded, variants, reconstructed, gaps := 0, 0, 0, 0, 0
	ids := map[string]bool{}
	answers := map[[2]string]string{} // a recorded document and its answer -> the case's id
	for _, c := range corpus.Cases {
		if c.Source == "" {
			t.Fatalf("case %s has no source", c.ID)
		}
		if ids[c.ID] {
			t.Fatalf("case id %s is used twice", c.ID)
		}
		ids[c.ID] = true
		switch {
		case c.Gap != "":
			if c.Want == "" || c.Variant || c.GapAnswer == "" {
				t.Fatalf("case %s: a gap is a recorded refusal with the answer Warden gives instead (gapAnswer)", c.ID)
			}
			gaps++
		case c.Want == "":
			accepted++
		case c.Variant:
			variants++
		default:
			recorded++
			if !strings.Contains(c.Source, "https://") && !strings.Contains(c.Source, "github.com/") {
				t.Fatalf("recorded case %s cites no URL or repository: %q", c.ID, c.Source)
			}
			if c.Reconstructed {
				reconstructed++
			}
			// The same document with the same answer counts once, however
			// many posts report it.
			k := [2]string{c.document(), c.Want}
			if first, ok := answers[k]; ok {
				t.Fatalf("recorded case %s repeats case %s (the same document and answer)", c.ID, first)
			}
			answers[k] = c.ID
		}
	}
	t.Logf("corpus: %d accepted, %d refused: %d recorded AWS responses (%d with the document reconstructed), %d variants; %d recorded refusals Warden does not reproduce",
		accepted, recorded+variants, recorded, reconstructed, variants, gaps)
	// Issue 11: at least 150 documents IAM accepts, and at least 150
	// refusals recorded from AWS itself (variants do not count).
	if accepted < 150 || recorded < 150 {
		t.Fatalf("corpus has %d accepted documents and %d recorded AWS refusals (%d variants besides), want at least 150 of each",
			accepted, recorded, variants)
	}

	s := startServer(t, nil, nil)
	c := s.root()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const base = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
	trustAccount := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}}`
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("grammar-user")}))
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("grammar-group")}))
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("grammar-role"), AssumeRolePolicyDocument: aws.String(trustAccount)}))
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("grammar-base"), PolicyDocument: aws.String(base)})
	if err != nil {
		t.Fatal(err)
	}
	baseARN := pol.Policy.Arn
	// AssumeRole needs an IAM user as the caller: root may not assume roles.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("grammar-caller")}))
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("grammar-caller"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sts:AssumeRole","sts:GetFederationToken"],"Resource":"*"}}`)}))
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("grammar-caller")})
	if err != nil {
		t.Fatal(err)
	}
	st := s.stsClient(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	roleARN := aws.String("arn:aws:iam::" + testAccount + ":role/grammar-role")

	// identity gives doc to an identity-policy operation. With fresh, the
	// inline policy goes to an entity of its own, created first (named as
	// the policy); else to the shared grammar-user/-group/-role.
	identity := func(op string, name, doc *string, fresh bool) (string, error) {
		user, group, role := aws.String("grammar-user"), aws.String("grammar-group"), aws.String("grammar-role")
		if fresh {
			user, group, role = name, name, name
		}
		switch op {
		case "CreatePolicy":
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: name, PolicyDocument: doc})
			return op, err
		case "CreatePolicyVersion":
			_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: baseARN, PolicyDocument: doc})
			return op, err
		case "PutUserPolicy":
			if fresh {
				if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: user}); err != nil {
					return op, err
				}
			}
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: name, PolicyDocument: doc})
			return op, err
		case "PutGroupPolicy":
			if fresh {
				if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: group}); err != nil {
					return op, err
				}
			}
			_, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: group, PolicyName: name, PolicyDocument: doc})
			return op, err
		}
		if fresh {
			if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: role, AssumeRolePolicyDocument: aws.String(trustAccount)}); err != nil {
				return op, err
			}
		}
		_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: name, PolicyDocument: doc})
		return "PutRolePolicy", err
	}

	// send gives doc to the API chosen for its kind and index. Accepted
	// documents get an entity of their own, so inline quotas never add up.
	send := func(i int, gc grammarCase) (string, error) {
		doc := aws.String(gc.document())
		name := aws.String("g" + gc.ID)
		kind := gc.Kind
		if gc.Want == versionMessage {
			kind = "managed"
		}
		if gc.Op != "" {
			kind = "op:" + gc.Op
		}
		switch kind {
		case "op:CreatePolicy", "op:CreatePolicyVersion", "op:PutUserPolicy", "op:PutGroupPolicy", "op:PutRolePolicy":
			op := gc.Op
			if gc.Want == "" && op == "CreatePolicyVersion" {
				op = "CreatePolicy"
			}
			return identity(op, name, doc, false)
		case "op:CreateRole":
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: doc})
			return gc.Op, err
		case "op:UpdateAssumeRolePolicy":
			// A document Warden takes (a gap) would replace the trust
			// policy the AssumeRole cases rely on: it goes to a role of its own.
			role := aws.String("grammar-role")
			if gc.Gap != "" {
				if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(trustAccount)}); err != nil {
					return gc.Op, err
				}
				role = name
			}
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: role, PolicyDocument: doc})
			return gc.Op, err
		case "op:AssumeRole":
			_, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: name, Policy: doc})
			return gc.Op, err
		case "op:GetFederationToken":
			_, err := st.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: name, Policy: doc})
			return gc.Op, err
		case "identity", "inline":
			ops := []string{"CreatePolicy", "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy", "CreatePolicyVersion"}
			if kind == "inline" {
				ops = ops[1:4]
			}
			op := ops[i%len(ops)]
			if gc.Want == "" && op == "CreatePolicyVersion" {
				op = "CreatePolicy" // a policy keeps five versions at most
			}
			if gc.Want == "" && op == "PutUserPolicy" && nonSpace(*doc) > 2048 {
				op = "PutRolePolicy"
			}
			if gc.Want == "" && op == "PutGroupPolicy" && nonSpace(*doc) > 5120 {
				op = "PutRolePolicy"
			}
			return identity(op, name, doc, gc.Want == "")
		case "managed":
			if gc.Want != "" && i%2 == 1 {
				_, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: baseARN, PolicyDocument: doc})
				return "CreatePolicyVersion", err
			}
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: name, PolicyDocument: doc})
			return "CreatePolicy", err
		case "trust":
			if gc.Want != "" && i%2 == 1 {
				_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("grammar-role"), PolicyDocument: doc})
				return "UpdateAssumeRolePolicy", err
			}
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: doc})
			return "CreateRole", err
		case "session":
			_, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: name, Policy: doc})
			return "AssumeRole", err
		}
		t.Fatalf("case %s: unknown kind %q", gc.ID, gc.Kind)
		return "", nil
	}

	t.Run("corpus", func(t *testing.T) {
		for i, gc := range corpus.Cases {
			t.Run(gc.ID, func(t *testing.T) {
				t.Parallel()
				op, err := send(i, gc)
				if gc.Gap != "" {
					var ae smithy.APIError
					switch {
					case gc.GapAnswer == "accepted" && err == nil:
					case gc.GapAnswer != "accepted" && errors.As(err, &ae) && ae.ErrorMessage() == gc.GapAnswer:
					default:
						t.Errorf("%s answered %v where the corpus records Warden's gap answer %q to a document IAM refuses with %q (%s): "+
							"if the gap (%s) is closed, make the case an ordinary recorded one", op, err, gc.GapAnswer, gc.Want, gc.Source, gc.Gap)
					}
					return
				}
				if gc.Want == "" {
					if err != nil {
						t.Errorf("%s refused a document IAM accepts (%s):\n%s\n%v", op, gc.Source, gc.document(), err)
					}
					return
				}
				var ae smithy.APIError
				var re *awshttp.ResponseError
				switch {
				case err == nil:
					t.Errorf("%s accepted a document IAM refuses with %q (%s):\n%s", op, gc.Want, gc.Source, gc.document())
				case !errors.As(err, &ae) || !errors.As(err, &re):
					t.Errorf("%s: %v", op, err)
				case ae.ErrorCode() != "MalformedPolicyDocument" || re.HTTPStatusCode() != 400 || ae.ErrorMessage() != gc.Want:
					t.Errorf("%s answered %s (%d) %q, IAM answers MalformedPolicyDocument (400) %q (%s):\n%s",
						op, ae.ErrorCode(), re.HTTPStatusCode(), ae.ErrorMessage(), gc.Want, gc.Source, gc.document())
				}
			})
		}
	})
}

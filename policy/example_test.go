package policy_test

import (
	"fmt"

	"github.com/warden-iam/warden/policy"
)

func Example() {
	doc := []byte(`{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Sid": "OwnHome", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
	     "Resource": "arn:aws:s3:::home/${aws:username}/*"},
	    {"Sid": "NeedTLS", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
	     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
	  ]
	}`)
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := &policy.Input{Identity: policy.Compile(policy.Named{Name: "home-access", Policy: p})}

	req := policy.Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::home/alice/notes.txt"}
	req.Context.Set("aws:username", "alice")
	req.Context.Set("aws:SecureTransport", "true")
	res := policy.Evaluate(in, &req)
	fmt.Println(res.Decision, res.Deciding()[0].Sid)

	req.Context.Set("aws:SecureTransport", "false")
	res = policy.Evaluate(in, &req)
	fmt.Println(res.Decision, res.Deciding()[0].Sid)

	req.Resource = "arn:aws:s3:::home/bob/notes.txt"
	req.Context.Set("aws:SecureTransport", "true")
	res = policy.Evaluate(in, &req)
	fmt.Println(res.Decision, res.Missing)
	// Output:
	// Allow OwnHome
	// ExplicitDeny NeedTLS
	// ImplicitDeny Identity
}

func ExampleParse_error() {
	_, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject"}}`), policy.Identity)
	fmt.Println(err)
	// Output: Policy statement must contain resources.
}

package validate

import (
	"testing"

	"github.com/warden-iam/warden/servicedata"
)

// tenStatements is a realistic policy of ten statements: wildcards, ARNs
// with variables, and conditions of several types.
const tenStatements = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "S1", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": "arn:aws:s3:::data-bucket/home/${aws:username}/*"},
    {"Sid": "S2", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-bucket",
     "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}},
    {"Sid": "S3", "Effect": "Allow", "Action": ["ec2:Describe*", "ec2:StartInstances", "ec2:StopInstances"], "Resource": "*"},
    {"Sid": "S4", "Effect": "Allow", "Action": ["ec2:TerminateInstances"], "Resource": "arn:aws:ec2:us-east-1:123456789012:instance/*",
     "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
    {"Sid": "S5", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/app-*",
     "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
    {"Sid": "S6", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
     "Resource": ["arn:aws:dynamodb:us-east-1:123456789012:table/Orders", "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/index/*"]},
    {"Sid": "S7", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:*:123456789012:log-group:/app/*"},
    {"Sid": "S8", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "arn:aws:kms:us-east-1:123456789012:key/*",
     "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    {"Sid": "S9", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}, "Bool": {"aws:ViaAWSService": "false"}}},
    {"Sid": "S10", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}
  ]
}`

func BenchmarkPolicy(b *testing.B) {
	if _, err := servicedata.Load(); err != nil {
		b.Fatal(err)
	}
	doc := []byte(tenStatements)
	if fs := Policy(doc, 1); len(fs) != 0 {
		b.Fatalf("the benchmark policy has findings: %v", fs)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		Policy(doc, 1)
	}
}

func BenchmarkSummarize(b *testing.B) {
	if _, err := servicedata.Load(); err != nil {
		b.Fatal(err)
	}
	doc := []byte(tenStatements)
	b.ReportAllocs()
	for b.Loop() {
		Summarize(doc)
	}
}

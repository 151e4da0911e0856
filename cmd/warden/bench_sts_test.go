package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// benchRole sets up a user allowed by a role's trust policy to assume it,
// and returns an STS client of the user and the role's ARN.
func benchRole(b *testing.B, s *server) (*sts.Client, string) {
	b.Helper()
	ctx := context.Background()
	root := s.root()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	trust := stsDoc(stsTrust(userARN("/", "bench"), []string{"sts:AssumeRole"}, ""))
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Bench"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Bench"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(stsDoc(stsAllow("*", "iam:Get*", "iam:List*")))}); err != nil {
		b.Fatal(err)
	}
	return s.stsClient(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)), aws.ToString(role.Role.Arn)
}

// BenchmarkAssumeRole measures issuing role credentials end to end: SigV4,
// the caller's policies and the trust policy, and the write of the session.
func BenchmarkAssumeRole(b *testing.B) {
	s, _ := startClockedServer(b)
	c, roleARN := benchRole(b, s)
	ctx := context.Background()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bench")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.AssumeRole(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemporaryCredentials measures requests signed with role
// credentials (session lookup, token check, the role's policies from the
// snapshot), next to the same request with a long-term key.
func BenchmarkTemporaryCredentials(b *testing.B) {
	s, _ := startClockedServer(b)
	c, roleARN := benchRole(b, s)
	ctx := context.Background()
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	in := &iam.GetRoleInput{RoleName: aws.String("Bench")}
	for _, bc := range []struct {
		name string
		c    *iam.Client
	}{
		{"GetRole/temporary", s.iamAs(out.Credentials)},
		{"GetRole/long-term", s.root()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.GetRole(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("GetCallerIdentity/temporary", func(b *testing.B) {
		c := s.stsAs(out.Credentials)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package main

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// apiCode returns the AWS error code of err, failing the test when err is nil
// or carries none.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	return ae.ErrorCode()
}

func TestSmokeNewcomerTour(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	id, err := s.stsClient(rootKeyID, rootSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Account != testAccount || *id.Arn != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("root identity = %s %s", *id.Account, *id.Arn)
	}
	u, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if *u.User.Arn != "arn:aws:iam::"+testAccount+":user/alice" || len(*u.User.UserId) != 21 {
		t.Fatalf("user = %+v", u.User)
	}
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	if code := apiCode(t, err); code != "EntityAlreadyExists" {
		t.Fatalf("duplicate user: %s", code)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	aliceID, err := s.stsClient(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *aliceID.Arn != *u.User.Arn || *aliceID.UserId != *u.User.UserId {
		t.Fatalf("alice identity = %s %s", *aliceID.Arn, *aliceID.UserId)
	}
	_, err = root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	if code := apiCode(t, err); code != "NoSuchEntity" {
		t.Fatalf("missing user: %s", code)
	}
}

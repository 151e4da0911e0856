package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/warden-iam/warden/storetest"
)

// TestTwoNodesOnPostgreSQL runs two `warden serve` nodes on one PostgreSQL
// with one master key: they bootstrap one account between them, and what one
// node writes the other serves, keys included.
func TestTwoNodesOnPostgreSQL(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	if !strings.Contains(a.Stdout.String(), "Created account") || strings.Contains(b.Stdout.String(), "Created account") {
		t.Fatalf("bootstrap: node A said %q, node B said %q", a.Stdout.String(), b.Stdout.String())
	}

	// Node A creates a user and a key; node B serves both.
	res(a.root().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("shared")})).must(t)
	k := res(a.root().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("shared")})).must(t).AccessKey
	got := res(b.root().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("shared")})).must(t)
	if aws.ToString(got.User.Arn) != userARN("/", "shared") {
		t.Fatalf("node B sees %s", aws.ToString(got.User.Arn))
	}
	id := res(b.stsClient(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Arn) != userARN("/", "shared") {
		t.Fatalf("the key made on A is %s on B", aws.ToString(id.Arn))
	}

	// Uniqueness holds across nodes: B cannot create the same user again.
	_, err := b.root().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("SHARED")})
	wantErr(t, err, "EntityAlreadyExists", 409)

	// A key deactivated on B is refused by B at once.
	res(b.root().UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("shared"),
		AccessKeyId: k.AccessKeyId, Status: "Inactive"})).must(t)
	_, err = b.stsClient(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
}

// sharedPostgres returns a fresh PostgreSQL schema and an environment with
// one master key, so that several nodes (and the admin commands) can share
// the database.
func sharedPostgres(t *testing.T) (dsn string, env map[string]string) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return storetest.PostgresSchema(t), map[string]string{"WARDEN_MASTER_KEY": hex.EncodeToString(key)}
}

// twoNodes starts two `warden serve` nodes on one fresh PostgreSQL schema;
// bArgs are further arguments of the second node.
func twoNodes(t *testing.T, bArgs ...string) (a, b *server) {
	t.Helper()
	dsn, env := sharedPostgres(t)
	a = startServer(t, []string{"--store", dsn}, env)
	b = startServer(t, append([]string{"--store", dsn}, bArgs...), env)
	return a, b
}

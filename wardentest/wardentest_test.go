package wardentest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/warden-iam/warden/wardentest"
)

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := wardentest.Start(t)
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %s, want loopback", s.Endpoint)
	}
	who, err := sts.NewFromConfig(s.RootConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::"+wardentest.DefaultAccountID+":root" {
		t.Errorf("root config is %s", aws.ToString(who.Arn))
	}

	// A user holds only what its policies allow.
	reader := iam.NewFromConfig(s.CreateUserWithKey(t, "reader", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	if _, err := reader.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("reader ListUsers: %v", err)
	}
	_, err = reader.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	if code(err) != "AccessDenied" {
		t.Errorf("reader CreateUser = %v, want AccessDenied", err)
	}
	// Unknown credentials are refused outside dev mode.
	_, err = sts.NewFromConfig(s.Config("AKIAUNKNOWNUNKNOWN01", "x", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code(err) != "InvalidClientTokenId" {
		t.Errorf("unknown key = %v, want InvalidClientTokenId", err)
	}

	// Reset brings back the first start.
	s.Reset(t)
	users, err := iam.NewFromConfig(s.RootConfig()).ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(users.Users) != 0 {
		t.Errorf("after Reset: %v users, err %v", users, err)
	}
	// No reset endpoint outside dev mode.
	resp, err := http.Post(s.Endpoint+"/warden/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("POST /warden/reset outside dev mode = %d", resp.StatusCode)
	}
}

func TestStartOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := wardentest.Start(t, wardentest.WithAccountID("111122223333"), wardentest.WithDev("tester"),
		wardentest.WithRootKey("AKIAROOTROOTROOT0001", "root-secret-0123456789012345678901234567"))
	who, err := sts.NewFromConfig(s.Config("AKIAANYTHING00000001", "any", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::111122223333:user/tester" {
		t.Errorf("dev identity = %s", aws.ToString(who.Arn))
	}
	who, err = sts.NewFromConfig(s.RootConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || s.RootAccessKeyID != "AKIAROOTROOTROOT0001" || aws.ToString(who.Arn) != "arn:aws:iam::111122223333:root" {
		t.Errorf("root = %v %v (key %s)", who, err, s.RootAccessKeyID)
	}
	resp, err := http.Post(s.Endpoint+"/moto-api/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("POST /moto-api/reset in dev mode = %d", resp.StatusCode)
	}
}

// TestParallelServers: servers started side by side are independent.
func TestParallelServers(t *testing.T) {
	t.Parallel()
	for i := range 4 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			s := wardentest.Start(t)
			name := "only-" + string(rune('a'+i))
			s.CreateUserWithKey(t, name)
			users, err := iam.NewFromConfig(s.RootConfig()).ListUsers(context.Background(), &iam.ListUsersInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(users.Users) != 1 || aws.ToString(users.Users[0].UserName) != name {
				t.Errorf("server %d sees %d users", i, len(users.Users))
			}
		})
	}
}

// BenchmarkStart is the time to start a server, ready for requests, and
// to stop it.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s, err := wardentest.New()
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartFirstCall is the time from start to the answer of a first
// signed request.
func BenchmarkStartFirstCall(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		s, err := wardentest.New()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sts.NewFromConfig(s.RootConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReset is the time of a reset of a store holding 50 users with a
// key each.
func BenchmarkReset(b *testing.B) {
	s := wardentest.Start(b, wardentest.WithDev(""))
	ctx := context.Background()
	root := iam.NewFromConfig(s.RootConfig())
	for b.Loop() {
		b.StopTimer()
		for i := range 50 {
			name := aws.String("user" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
			if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
				b.Fatal(err)
			}
			if _, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		resp, err := http.Post(s.Endpoint+"/warden/reset", "", nil)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("reset: %v %v", resp, err)
		}
		resp.Body.Close()
	}
}

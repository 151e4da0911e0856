package main

import (
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// BenchmarkGetUserRoot is an authenticated GetUser round trip over loopback
// by the root user: HTTP, SigV4 verification, the store read, XML.
func BenchmarkGetUserRoot(b *testing.B) {
	ctx := context.Background()
	s := startServer(b, nil, nil)
	root := s.root()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		b.Fatal(err)
	}
	in := &iam.GetUserInput{UserName: aws.String("alice")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := root.GetUser(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetUserAuthorized is the same round trip by an IAM user whose
// permission comes from a group's managed policy: the authorization decision
// is made from the in-memory snapshot on every request.
func BenchmarkGetUserAuthorized(b *testing.B) {
	// An explicit flag: every variant goes through `warden serve` (startServer
	// without arguments takes the wardentest path), so they differ in tracking alone.
	benchGetUserAuthorized(b, []string{"--event-history=true"})
}

// BenchmarkGetUserAuthorizedNoEvents is BenchmarkGetUserAuthorized with the
// event history off: the difference is what recording costs a request.
func BenchmarkGetUserAuthorizedNoEvents(b *testing.B) {
	benchGetUserAuthorized(b, []string{"--event-history=false"})
}

// BenchmarkGetUserAuthorizedNoTracking is BenchmarkGetUserAuthorized with
// the access advisor off: the difference is what usage tracking costs.
func BenchmarkGetUserAuthorizedNoTracking(b *testing.B) {
	benchGetUserAuthorized(b, []string{"--access-advisor=false"})
}

// BenchmarkGetUserAuthorizedBare has both the event history and the access
// advisor off.
func BenchmarkGetUserAuthorizedBare(b *testing.B) {
	benchGetUserAuthorized(b, []string{"--access-advisor=false", "--event-history=false"})
}

func benchGetUserAuthorized(b *testing.B, args []string) {
	ctx := context.Background()
	s := startServer(b, args, nil)
	root := s.root()
	benchReader(b, root, "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		b.Fatal(err)
	}
	alice := s.iamClient(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey)
	in := &iam.GetUserInput{UserName: aws.String("alice")}
	if _, err := alice.GetUser(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := processCPU(b)
	for b.Loop() {
		if _, err := alice.GetUser(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	// The process's CPU (client, server and background writers) per
	// request: on a busy machine it moves less than ns/op does.
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkDevStartup measures a fresh --dev server from the command line to
// ready, what a test suite pays to start one per test.
func BenchmarkDevStartup(b *testing.B) {
	getenv := func(string) string { return "" }
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--dev", "--addr", "127.0.0.1:0"}, getenv, io.Discard, io.Discard,
				func(string) { close(ready) })
		}()
		select {
		case <-ready:
		case err := <-done:
			b.Fatal(err)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// benchReader makes user alice a member of group readers, which has the
// managed policy policyARN attached.
func benchReader(b *testing.B, root *iam.Client, policyARN string) {
	b.Helper()
	ctx := context.Background()
	steps := []func() error{
		func() error {
			_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
			return err
		},
		func() error {
			_, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")})
			return err
		},
		func() error {
			_, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"),
				PolicyArn: aws.String(policyARN)})
			return err
		},
		func() error {
			_, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("alice")})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			b.Fatal(err)
		}
	}
}

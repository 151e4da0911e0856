package main

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/warden-iam/warden/wardentest"
)

// Root credentials every test server is seeded with.
const (
	testAccount = "123456789012"
	rootKeyID   = "AKIAWARDENTESTROOT01"
	rootSecret  = "wardenTestRootSecretKey0123456789abcdefg"
	rootPass    = "Root-Passw0rd!x"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a Warden started in-process on 127.0.0.1:0.
type server struct {
	URL  string
	Data string
	// DSN is the --store the server was started with ("": SQLite in Data)
	// and Env its environment.
	DSN    string
	Env    map[string]string
	Stdout *syncBuffer
	Stderr *syncBuffer
}

// startServer boots `warden serve` with extra arguments and environment, and
// stops it when the test ends. Without either it is a wardentest server over
// SQLite in s.Data, the same Warden without the command line around it.
func startServer(t testing.TB, args []string, env map[string]string) *server {
	t.Helper()
	s := &server{Data: t.TempDir(), Stdout: &syncBuffer{}, Stderr: &syncBuffer{}}
	if len(args) == 0 && len(env) == 0 {
		w := wardentest.Start(t, wardentest.WithAccountID(testAccount), wardentest.WithRootKey(rootKeyID, rootSecret),
			wardentest.WithRootPassword(rootPass), wardentest.WithDataDir(s.Data), wardentest.WithLog(s.Stderr))
		s.URL = w.Endpoint
		return s
	}
	base := map[string]string{
		"WARDEN_ROOT_PASSWORD":          rootPass,
		"WARDEN_ROOT_ACCESS_KEY_ID":     rootKeyID,
		"WARDEN_ROOT_SECRET_ACCESS_KEY": rootSecret,
	}
	for k, v := range env {
		base[k] = v
	}
	getenv := func(k string) string { return base[k] }
	s.Env = base
	for i, a := range args {
		if a == "--store" && i+1 < len(args) {
			s.DSN = args[i+1]
		}
	}
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", s.Data, "--account-id", testAccount}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, all, getenv, s.Stdout, s.Stderr, func(a string) { ready <- a }) }()
	select {
	case addr := <-ready:
		s.URL = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, s.Stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	})
	return s
}

func (s *server) config(keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, token),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second, Transport: wardentest.Transport},
	}
}

// iamClient returns an IAM client signing with the given credentials.
func (s *server) iamClient(keyID, secret string) *iam.Client {
	return iam.NewFromConfig(s.config(keyID, secret, ""), func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

func (s *server) stsClient(keyID, secret string) *sts.Client {
	return sts.NewFromConfig(s.config(keyID, secret, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

func (s *server) root() *iam.Client { return s.iamClient(rootKeyID, rootSecret) }

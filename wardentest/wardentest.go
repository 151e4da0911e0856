// Package wardentest runs a whole Warden inside a Go test, the way
// net/http/httptest runs an HTTP server: Start boots it on 127.0.0.1 with an
// in-memory store and stops it when the test ends, and the Server it returns
// gives the endpoint, the root credentials and aws-sdk-go-v2 configurations.
// Servers are independent of each other, so parallel tests each start their
// own.
//
//	s := wardentest.Start(t)
//	client := iam.NewFromConfig(s.RootConfig())
package wardentest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/warden-iam/warden/authz"
	wiam "github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/server"
)

// DefaultAccountID is the account a Server serves unless WithAccountID says
// otherwise.
const DefaultAccountID = "123456789012"

// Server is a running Warden.
type Server struct {
	// Endpoint is the base URL of every API and the console,
	// http://127.0.0.1:PORT (what AWS_ENDPOINT_URL is set to).
	Endpoint  string
	AccountID string
	// RootAccessKeyID and RootSecretAccessKey are the root user's access
	// key; RootEmail and RootPassword sign in to the console.
	RootAccessKeyID     string
	RootSecretAccessKey string
	RootEmail           string
	RootPassword        string

	w    *server.Server
	stop func() error
}

type options struct {
	cfg      server.Config
	data     string
	log      io.Writer
	password string
	keyID    string
	secret   string
	samlURL  bool
}

// An Option changes how Start builds the server.
type Option func(*options)

// WithAccountID sets the ID of the first account (12 digits).
func WithAccountID(id string) Option { return func(o *options) { o.cfg.Bootstrap.AccountID = id } }

// WithRootKey sets the root user's access key (default: random).
func WithRootKey(keyID, secret string) Option {
	return func(o *options) { o.keyID, o.secret = keyID, secret }
}

// WithRootPassword sets the root user's console password (default: random,
// the same for every server of the process).
func WithRootPassword(password string) Option { return func(o *options) { o.password = password } }

// WithMode sets the authorization mode (default authz.Strict).
func WithMode(m authz.Mode) Option { return func(o *options) { o.cfg.Mode = m } }

// WithDev turns on dev mode (warden serve --dev): requests signed with
// unknown credentials act as the virtual IAM user devUser ("" for "dev")
// with AdministratorAccess, and Reset and POST /warden/reset work.
func WithDev(devUser string) Option {
	return func(o *options) { o.cfg.Dev, o.cfg.DevUser = true, devUser }
}

// WithSAMLSignIn makes the server accept SAML assertions meant for its own
// sign-in URL, Endpoint + "/saml" (what --saml-url sets), besides
// https://signin.aws.amazon.com/saml.
func WithSAMLSignIn() Option { return func(o *options) { o.samlURL = true } }

// WithDataDir keeps the store in SQLite in dir (with its master key there)
// instead of in memory, so that the test can also open it.
func WithDataDir(dir string) Option { return func(o *options) { o.data = dir } }

// WithLog writes the server's JSON log to w (default: discarded).
func WithLog(w io.Writer) Option { return func(o *options) { o.log = w } }

// Start boots a Warden on 127.0.0.1 and stops it, and removes its store,
// when the test ends. It fails the test when the server cannot start.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("wardentest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("wardentest: stopping the server: %v", err)
		}
	})
	return s
}

// New is Start for servers that outlive one test (TestMain): the caller
// stops it with Close.
func New(opts ...Option) (*Server, error) {
	s, stop, err := start(opts...)
	if err != nil {
		return nil, err
	}
	s.stop = stop
	return s, nil
}

// Close stops the server and removes its in-memory store.
func (s *Server) Close() error { return s.stop() }

func start(opts ...Option) (*Server, func() error, error) {
	o := options{cfg: server.Config{Bootstrap: wiam.Bootstrap{AccountID: DefaultAccountID, RootEmail: "root@warden.local"}}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.keyID == "" {
		o.keyID, o.secret = "AKIA"+random(16, upper), random(40, mixed)
	}
	if o.password == "" {
		o.password = defaultPassword()
	}
	if o.log != nil {
		o.cfg.Log = slog.New(slog.NewJSONHandler(o.log, nil))
	}
	b := &o.cfg.Bootstrap
	b.RootAccessKeyID, b.RootSecretAccessKey = o.keyID, o.secret
	b.RootPasswordHash = passwordHash(o.password)

	ctx, cancel := context.WithCancel(context.Background())
	store, box, err := server.OpenStore(ctx, server.StoreConfig{Data: o.data, Memory: o.data == ""})
	if err != nil {
		cancel()
		return nil, nil, err
	}
	w, err := server.New(ctx, store, box, o.cfg)
	if err != nil {
		cancel()
		store.Close()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		w.Close()
		store.Close()
		return nil, nil, err
	}
	if o.samlURL { // known only now that the port is: set before serving
		w.STS.SAMLRecipients = append(w.STS.SAMLRecipients, "http://"+ln.Addr().String()+"/saml")
	}
	hs := &http.Server{Handler: w.Handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s := &Server{Endpoint: "http://" + ln.Addr().String(), AccountID: w.Account, RootAccessKeyID: o.keyID,
		RootSecretAccessKey: o.secret, RootEmail: b.RootEmail, RootPassword: o.password, w: w}
	stop := func() error {
		shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		errs := []error{hs.Shutdown(shutdown)}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		cancel()
		w.Close() // writes buffered events before the store closes
		errs = append(errs, store.Close())
		return errors.Join(errs...)
	}
	return s, stop, nil
}

// Reset wipes the store back to the state Start left it in (what POST
// /warden/reset does in dev mode, here in any mode).
func (s *Server) Reset(t testing.TB) {
	t.Helper()
	if err := s.w.Reset(context.Background()); err != nil {
		t.Fatalf("wardentest: reset: %v", err)
	}
}

// Config returns an aws-sdk-go-v2 configuration that sends every service's
// requests to the server, signed with the given credentials (token for
// temporary ones), without retries.
func (s *Server) Config(keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.Endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, token),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second, Transport: Transport},
	}
}

// RootConfig is Config with the root user's access key.
func (s *Server) RootConfig() aws.Config {
	return s.Config(s.RootAccessKeyID, s.RootSecretAccessKey, "")
}

// CreateUserWithKey creates IAM user name (as root), attaches the managed
// policies with the given ARNs, and returns a configuration signing with a
// new access key of the user.
func (s *Server) CreateUserWithKey(t testing.TB, name string, policyARNs ...string) aws.Config {
	t.Helper()
	ctx := context.Background()
	root := iam.NewFromConfig(s.RootConfig())
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("wardentest: CreateUser %s: %v", name, err)
	}
	for _, arn := range policyARNs {
		if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("wardentest: AttachUserPolicy %s %s: %v", name, arn, err)
		}
	}
	out, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("wardentest: CreateAccessKey %s: %v", name, err)
	}
	k := out.AccessKey
	if k == nil || k.Status != iamtypes.StatusTypeActive {
		t.Fatalf("wardentest: CreateAccessKey %s: no active key in the answer", name)
	}
	return s.Config(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), "")
}

// passwordHash hashes password once per process: argon2id takes tens of
// milliseconds, more than the rest of Start.
func passwordHash(password string) string {
	if h, ok := hashes.Load(password); ok {
		return h.(string)
	}
	h, _ := hashes.LoadOrStore(password, wiam.HashPassword(password))
	return h.(string)
}

var hashes sync.Map // password -> argon2id hash

// defaultPassword is the root password of servers whose test did not choose
// one: random, and one per process so that it is hashed once.
var defaultPassword = sync.OnceValue(func() string { return random(20, mixed) + "!1aA" })

const (
	upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	mixed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// random returns n characters of alphabet, whose length must be a power of two.
func random(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("wardentest: no randomness: %v", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Transport is the HTTP transport of the clients Config makes; other test
// clients of a Warden use it for the same reason (see bufferedBody).
var Transport http.RoundTripper = bufferedBody{}

// bufferedBody reads a request body into memory before sending it. The SDK
// closes the body it hands to net/http while the transport may still use it,
// which now and then makes net/http drop the connection in the middle of a
// large response ("use of closed network connection", aws-sdk-go-v2 #1825).
type bufferedBody struct{}

func (bufferedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(r)
}

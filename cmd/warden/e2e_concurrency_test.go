package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// storeKinds starts a server on each store: SQLite in its data directory and
// a fresh PostgreSQL schema.
func storeKinds(t *testing.T, args ...string) map[string]func(t *testing.T) *server {
	return map[string]func(t *testing.T) *server{
		"sqlite": func(t *testing.T) *server { return startServer(t, args, nil) },
		"postgres": func(t *testing.T) *server {
			// The admin commands share the database, so they need the
			// server's master key.
			dsn, env := sharedPostgres(t)
			return startServer(t, append([]string{"--store", dsn}, args...), env)
		},
	}
}

// loadClient is an IAM client for load: bounded time per request, one
// connection per worker, no retries.
func (s *server) loadClient(keyID, secret string, conns int) *iam.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 20 * time.Second, Transport: tr},
	}
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// usersInGroup creates n users with keys in a group whose inline policy
// allows them to read and tag themselves.
func usersInGroup(t *testing.T, s *server, group string, n int) []*types.AccessKey {
	t.Helper()
	ctx := context.Background()
	root := s.root()
	res(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)})).must(t)
	res(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:TagUser","iam:PutUserPolicy"],` +
			`"Resource":"arn:aws:iam::` + testAccount + `:user/${aws:username}"}]}`)})).must(t)
	keys := make([]*types.AccessKey, n)
	for i := range keys {
		name := group + "-" + strconv.Itoa(i)
		k, _ := userWithKey(t, s, name)
		res(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(name)})).must(t)
		keys[i] = k
	}
	return keys
}

// TestNoStallAfterWrite fires many more concurrent IAM-user requests than the
// store has connections, right after a write that drops every one of those
// users from the authorization snapshot, over and over: reads and writes of
// their own, on SQLite and PostgreSQL. Each must be answered (within the
// clients' 20 s timeout), none refused or failing. Before authorization was
// prepared ahead of the operation's transaction, four such requests held
// every reader while each waited for another, and all of them timed out.
func TestNoStallAfterWrite(t *testing.T) {
	for name, start := range storeKinds(t) {
		t.Run(name, func(t *testing.T) {
			s := start(t)
			const clients = 32
			keys := usersInGroup(t, s, "crowd", clients)
			ctx := context.Background()
			for round := range 4 {
				// The write: the group's policy changes, so every member's
				// snapshot entry goes.
				res(s.root().PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("crowd"),
					PolicyName: aws.String("round"), PolicyDocument: aws.String(allowDoc("iam:ListUsers"))})).must(t)
				var wg sync.WaitGroup
				errs := make(chan error, clients)
				for i, k := range keys {
					c := s.loadClient(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), 1)
					name := "crowd-" + strconv.Itoa(i)
					wg.Go(func() {
						var err error
						switch (i + round) % 3 {
						case 0:
							_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
						case 1:
							_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(name), Tags: []types.Tag{tag("round", strconv.Itoa(round))}})
						default:
							_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
								PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("iam:GetUser"))})
						}
						if err != nil {
							errs <- fmt.Errorf("round %d, %s: %w", round, name, err)
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				if t.Failed() {
					return
				}
			}
		})
	}
}

// TestPermissionChangeReachesOtherNodeByNotification runs two nodes on one
// PostgreSQL; the second reads the change feed only once an hour by itself,
// so a permission granted or revoked on the first node can reach it only by
// notification. Both changes must be enforced there (within 10 s at most;
// the test logs how long it took).
func TestPermissionChangeReachesOtherNodeByNotification(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t, "--change-poll", "1h")

	k, _ := userWithKey(t, a, "remote")
	onB := b.iamClient(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
	list := func() error { _, err := onB.ListUsers(ctx, &iam.ListUsersInput{}); return err }
	wantErr(t, list(), "AccessDenied", 403) // B now has the user's (empty) policies cached

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s did not reach node B by notification within 10 s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("%s reached node B after %v", what, time.Since(start).Round(time.Millisecond))
	}
	res(a.root().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("remote"),
		PolicyName: aws.String("list"), PolicyDocument: aws.String(allowDoc("iam:ListUsers"))})).must(t)
	waitFor("a grant", func() bool { return list() == nil })
	res(a.root().DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("remote"),
		PolicyName: aws.String("list")})).must(t)
	waitFor("a revocation", func() bool { return list() != nil })
}

// TestRecreatedUserAcrossNodes: credentials issued on one node to a user who
// is then deleted and created again (as an administrator) on another node
// must not act as the new user anywhere — GetSessionToken with MFA-free
// IAM access aside, by AssumeRole of a role that trusts the name's ARN.
func TestRecreatedUserAcrossNodes(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)

	// A trust policy may name only a user that exists, so gina comes first.
	k, _ := userWithKey(t, a, "gina")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN("/", "gina") + `"},"Action":"sts:AssumeRole"}]}`
	res(a.root().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("admin"), AssumeRolePolicyDocument: aws.String(trust)})).must(t)
	res(a.root().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("gina"),
		PolicyName: aws.String("assume"), PolicyDocument: aws.String(allowDoc("sts:AssumeRole"))})).must(t)
	st := a.stsClient(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
	tok := res(st.GetSessionToken(ctx, &sts.GetSessionTokenInput{})).must(t).Credentials
	sessionOnA := sts.NewFromConfig(a.config(aws.ToString(tok.AccessKeyId), aws.ToString(tok.SecretAccessKey), aws.ToString(tok.SessionToken)),
		func(o *sts.Options) { o.BaseEndpoint = aws.String(a.URL) })
	assume := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/admin"), RoleSessionName: aws.String("session")}
	res(sessionOnA.AssumeRole(ctx, assume)).must(t) // while gina is gina

	// On node B: gina's key goes, gina goes, a new gina arrives.
	res(b.root().DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("assume")})).must(t)
	res(b.root().DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("gina"), AccessKeyId: k.AccessKeyId})).must(t)
	res(b.root().DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("gina")})).must(t)
	createUser(t, b.root(), "gina")
	res(b.root().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("gina"),
		PolicyName: aws.String("all"), PolicyDocument: aws.String(allowDoc("*"))})).must(t)

	// Node A learns of it from the change feed; until then it may still
	// answer from what it knew of the old gina, who could assume the role.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := sessionOnA.AssumeRole(ctx, assume)
		if err != nil {
			wantErr(t, err, "AccessDenied", 403)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the deleted gina's session still assumes the role trusting gina's ARN")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, n := range []*server{a, b} {
		s := sts.NewFromConfig(n.config(aws.ToString(tok.AccessKeyId), aws.ToString(tok.SecretAccessKey), aws.ToString(tok.SessionToken)),
			func(o *sts.Options) { o.BaseEndpoint = aws.String(n.URL) })
		_, err := s.AssumeRole(ctx, assume)
		wantErr(t, err, "AccessDenied", 403)
	}
}

// TestRecreatedRoleAndIssuerAcrossNodes: a role session whose role is
// deleted and created again on another node may do nothing on either node,
// though the new role may do everything; the federated user of a re-created
// issuer still knows who it is.
func TestRecreatedRoleAndIssuerAcrossNodes(t *testing.T) {
	ctx := context.Background()
	a, b := twoNodes(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	mkRole := func(c *iam.Client) {
		res(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trust)})).must(t)
		res(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("all"),
			PolicyDocument: aws.String(allowDoc("*"))})).must(t)
	}
	mkRole(a.root())
	k, _ := userWithKey(t, a, "issuer")
	res(a.root().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("issuer"),
		PolicyName: aws.String("all"), PolicyDocument: aws.String(allowDoc("*"))})).must(t)
	st := a.stsClient(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey))
	role := res(st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/ops"),
		RoleSessionName: aws.String("before")})).must(t).Credentials
	fed := res(st.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("app"),
		Policy: aws.String(allowDoc("*"))})).must(t).Credentials
	clientOf := func(n *server, c *ststypes.Credentials) *iam.Client {
		return iam.NewFromConfig(n.config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)),
			func(o *iam.Options) { o.BaseEndpoint = aws.String(n.URL) })
	}
	res(clientOf(a, role).ListUsers(ctx, &iam.ListUsersInput{})).must(t)

	// On node B both are replaced by namesakes with every permission.
	res(b.root().DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("all")})).must(t)
	res(b.root().DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("ops")})).must(t)
	mkRole(b.root())
	res(b.root().DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("issuer"), PolicyName: aws.String("all")})).must(t)
	res(b.root().DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("issuer"), AccessKeyId: k.AccessKeyId})).must(t)
	res(b.root().DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("issuer")})).must(t)
	createUser(t, b.root(), "issuer")
	res(b.root().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("issuer"),
		PolicyName: aws.String("all"), PolicyDocument: aws.String(allowDoc("*"))})).must(t)

	for _, n := range []*server{b, a} { // B at once; A once its change feed is read
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := clientOf(n, role).ListUsers(ctx, &iam.ListUsersInput{})
			if err != nil {
				wantErr(t, err, "AccessDenied", 403)
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the old role's session acts as the new role")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A federated user may only ask who it is here (no permission
		// needed, as on AWS); that its permissions went with the issuing
		// user's unique ID is TestRecreatedUserIsAnotherPrincipal's (authz).
		fedSTS := sts.NewFromConfig(n.config(aws.ToString(fed.AccessKeyId), aws.ToString(fed.SecretAccessKey), aws.ToString(fed.SessionToken)),
			func(o *sts.Options) { o.BaseEndpoint = aws.String(n.URL) })
		id := res(fedSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		if !strings.HasSuffix(aws.ToString(id.Arn), ":federated-user/app") {
			t.Errorf("federated identity %s", aws.ToString(id.Arn))
		}
	}
}

// TestLoadGetUserUnderWrites is the loopback load test behind the figures in
// docs/performance.md: GetUser by IAM users authorized by a group policy,
// signed with SigV4, at 1, 8 and 32 connections, with and without 10 writes
// a second going on in another account. It asserts that no request fails and
// logs throughput and latency; WARDEN_LOAD_SECONDS (default 1) sets how long
// each run lasts.
func TestLoadGetUserUnderWrites(t *testing.T) {
	seconds := 1.0
	if v := os.Getenv("WARDEN_LOAD_SECONDS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 600 {
			t.Fatalf("WARDEN_LOAD_SECONDS=%q: want seconds in (0, 600]", v)
		}
		seconds = f
	}
	dur := time.Duration(seconds * float64(time.Second))
	// WARDEN_LOAD_ARGS adds serve flags (e.g. --event-history=false) to
	// compare configurations.
	for name, start := range storeKinds(t, strings.Fields(os.Getenv("WARDEN_LOAD_ARGS"))...) {
		t.Run(name, func(t *testing.T) {
			s := start(t)
			keys := usersInGroup(t, s, "load", 32)
			otherRoot := otherAccountRoot(t, s)
			for _, conns := range []int{1, 8, 32} {
				quiet := loadGetUser(t, s, keys, conns, dur, nil)
				busy := loadGetUser(t, s, keys, conns, dur, otherRoot)
				t.Logf("%s, %2d connections: quiet %7.0f req/s p50 %v p99 %v cpu %.0fµs/req | 10 writes/s elsewhere %7.0f req/s (%.0f%%) p50 %v p99 %v (%.1fx) cpu %.0fµs/req, %d writes",
					name, conns, quiet.rate, quiet.p50, quiet.p99, quiet.cpu, busy.rate, 100*busy.rate/quiet.rate, busy.p50, busy.p99,
					float64(busy.p99)/float64(quiet.p99), busy.cpu, busy.writes)
			}
		})
	}
}

type loadResult struct {
	rate     float64
	p50, p99 time.Duration
	writes   int
	// cpu is the test process's CPU time (user + system, server and
	// clients together) per request, in µs: on a shared machine it moves
	// far less than the rate does, since it counts only this process's work.
	cpu float64
}

// processCPU is the CPU time this process has used.
func processCPU(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadGetUser runs conns workers calling GetUser as the users of keys for
// dur; with writer set, a writer makes 10 writes a second meanwhile.
func loadGetUser(t *testing.T, s *server, keys []*types.AccessKey, conns int, dur time.Duration, writer *iam.Client) loadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var writes atomic.Int64
	var wg sync.WaitGroup
	if writer != nil {
		wg.Go(func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				_, err := writer.TagUser(context.Background(), &iam.TagUserInput{UserName: aws.String("bystander"),
					Tags: []types.Tag{tag("n", strconv.Itoa(i))}})
				if err != nil {
					t.Errorf("write: %v", err)
					return
				}
				writes.Add(1)
			}
		})
	}
	lat := make([][]time.Duration, conns)
	cpu0 := processCPU(t)
	for w := range conns {
		k := keys[w%len(keys)]
		name := "load-" + strconv.Itoa(w%len(keys))
		c := s.loadClient(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), 1)
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				_, err := c.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(name)})
				if err != nil {
					t.Errorf("GetUser: %v", err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	cpu := processCPU(t) - cpu0
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		t.Fatal("no request completed")
	}
	return loadResult{rate: float64(len(all)) / dur.Seconds(), p50: all[len(all)/2], p99: all[len(all)*99/100], writes: int(writes.Load()),
		cpu: float64(cpu.Microseconds()) / float64(len(all))}
}

// otherAccountRoot creates a second account with a root key through the
// admin commands, and a user there to write to, and returns its root's client.
func otherAccountRoot(t *testing.T, s *server) *iam.Client {
	t.Helper()
	ctx := context.Background()
	const other = "210987654321"
	storeArgs := []string{"--data", s.Data}
	if s.DSN != "" {
		storeArgs = []string{"--store", s.DSN}
	}
	getenv := func(k string) string { return s.Env[k] }
	var out, errOut bytes.Buffer
	if err := accountCreate(ctx, append(storeArgs, "--account-id", other), getenv, &out, &errOut); err != nil {
		t.Fatalf("account create: %v\n%s", err, errOut.String())
	}
	out.Reset()
	if err := rootKeyCreate(ctx, append(storeArgs, "--account-id", other), getenv, &out, &errOut); err != nil {
		t.Fatalf("root access-key create: %v\n%s", err, errOut.String())
	}
	m := regexp.MustCompile(`AccessKeyId:\s+(\S+)\nSecretAccessKey:\s+(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no key in %q", out.String())
	}
	c := s.iamClient(m[1], m[2])
	// The new key was written past the server: wait for its change feed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bystander")})
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other account's root cannot call: %v\n%s", err, s.Stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

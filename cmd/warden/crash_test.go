package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// moduleRoot returns the directory of the module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// buildWarden compiles the warden command into a temporary directory.
func buildWarden(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "warden")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/warden")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a warden server running as a separate process.
type process struct {
	cmd    *exec.Cmd
	URL    string
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited and its stderr is drained
}

// startProcess runs `warden serve` on a free loopback port over dataDir and
// waits for its ready line.
func startProcess(t *testing.T, bin, dataDir string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--account-id", testAccount)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WARDEN_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "WARDEN_ROOT_ACCESS_KEY_ID="+rootKeyID, "WARDEN_ROOT_SECRET_ACCESS_KEY="+rootSecret,
		"WARDEN_ROOT_PASSWORD="+rootPass)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	ready := make(chan string, 1)
	go func() {
		defer close(p.done)
		r := bufio.NewReader(pipe)
		for {
			line, err := r.ReadString('\n')
			p.stderr.Write([]byte(line))
			var msg struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &msg) == nil && msg.Msg == "warden ready" && msg.Addr != "" {
				ready <- msg.Addr
			}
			if err != nil {
				cmd.Wait()
				return
			}
		}
	}()
	select {
	case addr := <-ready:
		p.URL = "http://" + addr
	case <-p.done:
		t.Fatalf("warden exited before it was ready: %v\n%s", cmd.ProcessState, p.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("warden not ready after 60s\n%s", p.stderr)
	}
	return p
}

// kill ends the process with SIGKILL, as a crash or `kill -9` would, and
// waits for it to be gone.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// root returns an IAM client of the root user that makes each call once, so
// that a call the kill interrupts fails instead of being retried.
func (p *process) root() *iam.Client {
	return (&server{URL: p.URL}).root()
}

// TestCrashKeepsAcknowledgedWrites kills the server with SIGKILL while
// several clients create users, restarts it on the same data directory, and
// checks that every user whose CreateUser was answered with success is there.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	const (
		workers   = 4
		perWorker = 2000 // bound on each client's loop; the kill comes far earlier
		killAfter = 150  // acknowledged creates before the kill
	)
	bin := buildWarden(t)
	data := t.TempDir()
	p := startProcess(t, bin, data)

	var (
		mu      sync.Mutex
		acked   []string
		count   atomic.Int64
		killed  atomic.Bool
		trigger = make(chan struct{})
		once    sync.Once
		wg      sync.WaitGroup
	)
	ctx := context.Background()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := p.root()
			for i := range perWorker {
				name := fmt.Sprintf("crash-%d-%04d", w, i)
				_, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
				switch {
				case err == nil:
				case killed.Load():
					return
				default:
					t.Errorf("CreateUser %s before the kill: %v", name, err)
					once.Do(func() { close(trigger) })
					return
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
				if count.Add(1) == killAfter {
					once.Do(func() { close(trigger) })
				}
			}
		}()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-trigger:
	case <-stopped: // every loop ended without reaching killAfter: reported below
	}
	killed.Store(true)
	p.kill(t)
	<-stopped
	if t.Failed() {
		t.Fatalf("server log:\n%s", p.stderr)
	}
	if n := len(acked); n < killAfter {
		t.Fatalf("only %d creates acknowledged before the kill", n)
	}

	p = startProcess(t, bin, data)
	found := map[string]bool{}
	pages := iam.NewListUsersPaginator(p.root(), &iam.ListUsersInput{})
	for n := 0; pages.HasMorePages(); n++ {
		if n > 1000 {
			t.Fatal("ListUsers never stops paginating")
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers after restart: %v\n%s", err, p.stderr)
		}
		for _, u := range page.Users {
			found[*u.UserName] = true
		}
	}
	var lost []string
	for _, name := range acked {
		if !found[name] {
			lost = append(lost, name)
		}
	}
	t.Logf("%d creates acknowledged before SIGKILL, %d users after restart", len(acked), len(found))
	if len(lost) > 0 {
		t.Fatalf("%d acknowledged users lost in the crash: %v", len(lost), lost)
	}
	if len(found) > len(acked)+workers {
		t.Errorf("%d users after restart, more than the %d acknowledged plus %d in flight", len(found), len(acked), workers)
	}
}

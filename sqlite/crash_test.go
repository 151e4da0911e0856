package sqlite_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sqlite"
)

// crashChildEnv names the database a child process of TestCrash writes to.
const crashChildEnv = "WARDEN_SQLITE_CRASH_CHILD"

// TestCrash kills a process that is writing with SIGKILL and checks that
// every Update it reported as committed is in the database afterwards.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(t, path)
		return
	}
	const acks = 100
	path := filepath.Join(t.TempDir(), "warden.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := -1
	lines := bufio.NewScanner(out)
	for lines.Scan() && committed < acks {
		if n, ok := strings.CutPrefix(lines.Text(), "committed "); ok {
			if committed, err = strconv.Atoi(n); err != nil {
				t.Fatalf("child said %q", lines.Text())
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred Close, no clean shutdown
		t.Fatal(err)
	}
	cmd.Wait()
	if committed < acks {
		t.Fatalf("child stopped after %d commits", committed+1)
	}

	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open after crash: %v", err)
	}
	defer s.Close()
	err = s.View(t.Context(), func(tx warden.Tx) error {
		for i := 0; i <= committed; i++ {
			if _, err := tx.Get(t.Context(), warden.KindCounter, "", strconv.Itoa(i)); err != nil {
				return fmt.Errorf("commit %d of %d: %w", i, committed+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
}

// crashChild writes records until it is killed, printing the number of
// each after its Update returns. Should the parent die first, the next
// print to the broken pipe ends it.
func crashChild(t *testing.T, path string) {
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		r := warden.Record{Kind: warden.KindCounter, Key: strconv.Itoa(i), Data: []byte(`{}`)}
		err := s.Update(t.Context(), func(tx warden.Tx) error { return tx.Insert(t.Context(), r) })
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed %d\n", i)
	}
}

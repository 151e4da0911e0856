package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelp: --help (and -h) succeeds for warden, every command group and
// every command, prints to stdout only, and names the environment variables.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"serve", "--help"}, {"serve", "-h"}, {"serve", "--addr", "127.0.0.1:0", "--help"},
		{"account", "--help"}, {"account", "create", "--help"},
		{"root", "--help"}, {"root", "access-key", "--help"}, {"root", "access-key", "create", "-h"},
		{"policy", "--help"}, {"policy", "validate", "--help"}, {"policy", "summary", "--help"}, {"policy", "eval", "-h"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(string) string { return "" }
			if err := run(context.Background(), args, getenv, &stdout, &stderr, nil); err != nil {
				t.Fatalf("run: %v (stderr %q)", err, stderr.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", stderr.String())
			}
			out := stdout.String()
			for _, want := range []string{"usage:", "WARDEN_MASTER_KEY", "WARDEN_ROOT_PASSWORD", "WARDEN_ROOT_ACCESS_KEY_ID", "WARDEN_ROOT_SECRET_ACCESS_KEY", "WARDEN_<FLAG>"} {
				if !strings.Contains(out, want) {
					t.Errorf("help lacks %q:\n%s", want, out)
				}
			}
		})
	}
	t.Run("serve flags name their variables", func(t *testing.T) {
		var stdout bytes.Buffer
		if err := run(context.Background(), []string{"serve", "--help"}, func(string) string { return "" }, &stdout, &stdout, nil); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"--addr", "[$WARDEN_ADDR]", "--store", "[$WARDEN_STORE]", "--dev"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("serve --help lacks %q", want)
			}
		}
	})
	t.Run("a bad flag is still an error", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"serve", "--bogus"}, func(string) string { return "" }, &stdout, &stderr, nil)
		if err == nil || !strings.Contains(err.Error(), "-bogus") {
			t.Fatalf("run serve --bogus = %v, want an error naming the flag", err)
		}
		if stdout.Len() != 0 {
			t.Errorf("stdout = %q", stdout.String())
		}
	})
}

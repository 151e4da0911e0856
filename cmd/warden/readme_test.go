package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMETour runs the README as a newcomer would: the server started with
// the seed of the README's run command, then every shell block of the tour,
// verbatim and in order, in one bash with the real aws CLI — only the
// address (a free loopback port instead of localhost:8080) and `go run
// ./cmd/warden` (the binary, built once) differ. Any failing command fails
// the test.
func TestREADMETour(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the aws CLI is required at %s (apt-get install awscli, or run ./scripts/test.sh): %v", awsCLI, err)
	}
	readme, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	blocks := shellBlocks(section(t, text, "## The two commands", "## A five-minute tour"))
	if len(blocks) == 0 {
		t.Fatal("no run command in the README")
	}
	run := blocks[0]
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(WARDEN_ROOT_[A-Z_]+)='?([^' \\\n]+)'?`).FindAllStringSubmatch(run, -1) {
		env[m[1]] = m[2]
	}
	if len(env) != 3 || !strings.Contains(run, "--account-id "+testAccount) {
		t.Fatalf("the README's run command seeds %v, account %q; the tour needs the three root variables and --account-id %s:\n%s",
			env, run, testAccount, run)
	}
	s := startServer(t, nil, env)

	tour := shellBlocks(section(t, text, "## A five-minute tour", "## The console"))
	if len(tour) < 4 {
		t.Fatalf("only %d shell blocks in the tour", len(tour))
	}
	bin := buildWarden(t)
	script := "set -euo pipefail\n" + strings.Join(tour, "\n")
	script = strings.ReplaceAll(script, "http://localhost:8080", s.URL)
	script = strings.ReplaceAll(script, "go run ./cmd/warden", bin)

	home := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = home
	cmd.Env = []string{
		"PATH=" + filepath.Dir(awsCLI) + ":" + os.Getenv("PATH"),
		"HOME=" + home,
		"LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's tour failed: %v\n%s\n--- server log\n%s", err, out, s.Stderr)
	}
	for _, want := range []string{
		"arn:aws:iam::" + testAccount + ":root",
		"arn:aws:iam::" + testAccount + ":user/alice",
		"AccessDenied",
		"arn:aws:sts::" + testAccount + ":assumed-role/Auditor/audit",
		"Policy document must be version 2012-10-17 or greater.",
		"Resource arn:aws:s3:us-east-1::b can not contain region information.",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the tour's output lacks %q:\n%s", want, out)
		}
	}
}

// section returns the part of a Markdown text from the heading from up to
// the heading to.
func section(t *testing.T, text, from, to string) string {
	t.Helper()
	i := strings.Index(text, from)
	j := strings.Index(text, to)
	if i < 0 || j < i {
		t.Fatalf("the README has no section %q before %q", from, to)
	}
	return text[i:j]
}

// shellBlocks returns the bodies of the ```sh blocks of a Markdown text.
func shellBlocks(text string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

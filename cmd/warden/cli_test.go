package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// awsCLI is the Debian awscli package's aws command: the tour must use the
// real CLI, not whichever aws comes first on PATH.
const awsCLI = "/usr/bin/aws"

// TestAWSCLITour runs scripts/tour.sh, the newcomer's tour with the real aws
// CLI, against a server started in-process. The CLI is a requirement of the
// test suite (./scripts/test.sh installs it), so its absence fails the test.
func TestAWSCLITour(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the aws CLI is required at %s (apt-get install awscli, or run ./scripts/test.sh): %v", awsCLI, err)
	}
	s := startServer(t, nil, nil)
	home := t.TempDir()
	// Empty CLI configuration, so nothing of the host's ~/.aws leaks in.
	config := filepath.Join(home, "config")
	credentials := filepath.Join(home, "credentials")
	for _, f := range []string{config, credentials} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(moduleRoot(t), "scripts", "tour.sh"))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + home,
		"LANG=C.UTF-8",
		"WARDEN_URL=" + s.URL,
		"AWS_CLI=" + awsCLI,
		"AWS_ACCESS_KEY_ID=" + rootKeyID,
		"AWS_SECRET_ACCESS_KEY=" + rootSecret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + credentials,
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/tour.sh: %v\n%s\n--- server log\n%s", err, out, s.Stderr)
	}
	t.Logf("scripts/tour.sh:\n%s", out)
}

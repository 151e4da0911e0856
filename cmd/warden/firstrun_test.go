package main

import (
	"context"
	"strings"
	"testing"
)

// TestStartRefusesASeedTheDataDisagreesWith: a second start on existing data
// whose --account-id or root seed variables differ from what the data holds
// is refused with a message naming what disagrees and what to do, instead of
// starting with the seed silently ignored. The same seed starts as usual.
func TestStartRefusesASeedTheDataDisagreesWith(t *testing.T) {
	first := startServer(t, nil, nil) // account testAccount, the harness's root seed
	data := first.Data
	seeded := map[string]string{
		"WARDEN_ROOT_PASSWORD":          rootPass,
		"WARDEN_ROOT_ACCESS_KEY_ID":     rootKeyID,
		"WARDEN_ROOT_SECRET_ACCESS_KEY": rootSecret,
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for key, val := range seeded {
			m[key] = val
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string // "" starts
		wantErr string
	}{
		{name: "same seed", args: []string{"--account-id", testAccount}, env: seeded},
		{name: "no seed at all", env: map[string]string{}},
		{name: "another account ID", args: []string{"--account-id", "999999999999"}, env: seeded,
			wantErr: "the data already holds account " + testAccount + ", not 999999999999: start with --account-id " + testAccount},
		{name: "another root key", args: []string{"--account-id", testAccount},
			env:     with("WARDEN_ROOT_ACCESS_KEY_ID", "AKIAWARDENOTHERKEY01"),
			wantErr: "WARDEN_ROOT_ACCESS_KEY_ID AKIAWARDENOTHERKEY01 is not an access key of account " + testAccount + "'s root user"},
		{name: "another secret", env: with("WARDEN_ROOT_SECRET_ACCESS_KEY", strings.Repeat("x", 40)),
			wantErr: "WARDEN_ROOT_SECRET_ACCESS_KEY is not the secret of root access key " + rootKeyID},
		{name: "another password", env: with("WARDEN_ROOT_PASSWORD", "Another-Passw0rd!"),
			wantErr: "WARDEN_ROOT_PASSWORD is not the password of account " + testAccount + "'s root user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, tt.args...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stdout, stderr syncBuffer
			ready := make(chan string, 1)
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, args, func(k string) string { return tt.env[k] }, &stdout, &stderr, func(a string) { ready <- a })
			}()
			select {
			case <-ready:
				if tt.wantErr != "" {
					t.Fatalf("started; want refusal %q", tt.wantErr)
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("stopping: %v", err)
				}
			case err := <-done:
				if tt.wantErr == "" {
					t.Fatalf("refused: %v", err)
				}
				if err == nil || !strings.Contains(err.Error(), "refusing to start: "+tt.wantErr) {
					t.Fatalf("error %v, want it to say %q", err, tt.wantErr)
				}
			}
		})
	}
}

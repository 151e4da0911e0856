package main

import (
	"testing"
	"time"
)

func TestAuditRetentionFlag(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"0", 0, true},
		{"1d", 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"-1h", 0, false},
		{"-3d", 0, false},
		{"d", 0, false},
		{"ninety", 0, false},
		{"99999999d", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var r retention
			err := r.Set(tt.in)
			if (err == nil) != tt.ok || time.Duration(r) != tt.want {
				t.Errorf("Set(%q) = %v, %v; want %v, ok %v", tt.in, time.Duration(r), err, tt.want, tt.ok)
			}
		})
	}
	if r := retention(90 * 24 * time.Hour); r.String() != "90d" {
		t.Errorf("String() = %q, want 90d", r.String())
	}
}

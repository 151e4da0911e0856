package arn_test

import (
	"testing"

	"github.com/warden-iam/warden/arn"
)

func TestLikeAndLikeFold(t *testing.T) {
	tests := []struct {
		pattern, s string
		want, fold bool
	}{
		{"Get*", "GetObject", true, true},
		{"get*", "GetObject", false, true},
		{"?etObject", "GetObject", true, true},
		{"*Object", "GetObject", true, true},
		{"*", "", true, true},
		{"Get", "GetObject", false, false},
	}
	for _, tt := range tests {
		if got := arn.Like(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Like(%q, %q) = %v", tt.pattern, tt.s, got)
		}
		if got := arn.LikeFold(tt.pattern, tt.s); got != tt.fold {
			t.Errorf("LikeFold(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"io"
)

func policyCommand(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("unknown policy command %q", sub)
}

// Command warden runs the Warden IAM server and its local administration
// commands. See the README for the tour.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "warden:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  warden serve [--addr :8080] [--data ./warden-data | --store postgres://...]
               [--account-id 123456789012] [--enforce strict|soft|off] [--dev [--dev-user NAME]]
  warden account create [--account-id ID] [--name NAME] [--email EMAIL] [--data DIR | --store DSN]
  warden root access-key create [--account-id ID] [--data DIR | --store DSN]
  warden policy validate [--type identity|resource|trust|boundary|session|scp|rcp] [--format text|json] FILE
  warden policy summary FILE
  warden policy eval --policy FILE... --action ACTION --resource ARN [--boundary FILE] [--context key=value...]

Every flag of serve, account and root also reads from the environment as WARDEN_<FLAG>
(WARDEN_ADDR, WARDEN_DATA, ...). "warden COMMAND --help" describes a command's flags.

` + environmentHelp

// run is main without the process: tests call it to boot a whole server.
// ready, when set, is told the address the server listens on. Help asked of
// any command is printed to stdout and is not an error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) error {
	err := dispatch(ctx, args, getenv, stdout, stderr, ready)
	var he *helpError
	if errors.As(err, &he) {
		fmt.Fprint(stdout, he.text)
		return nil
	}
	return err
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) error {
	// Help asked of a command group ("warden policy --help", "warden root
	// access-key -h") or of warden itself is the overview; a command's own
	// flags parse answers its help.
	if len(args) > 0 && (isHelp(args[0]) || args[0] == "help") {
		return &helpError{text: usage + "\n"}
	}
	for i := 1; i < len(args) && i <= 3; i++ {
		if isLeaf(args[:i]) {
			break
		}
		if isHelp(args[i]) {
			return &helpError{text: usage + "\n"}
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr, ready)
	case "account":
		if len(args) > 1 && args[1] == "create" {
			return accountCreate(ctx, args[2:], getenv, stdout, stderr)
		}
	case "root":
		if len(args) > 2 && args[1] == "access-key" && args[2] == "create" {
			return rootKeyCreate(ctx, args[3:], getenv, stdout, stderr)
		}
	case "policy":
		if len(args) > 1 {
			return policyCommand(ctx, args[1], args[2:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// isLeaf reports whether words name a command that takes flags of its own.
func isLeaf(words []string) bool {
	switch strings.Join(words, " ") {
	case "serve", "account create", "root access-key create", "policy validate", "policy summary", "policy eval":
		return true
	}
	return false
}

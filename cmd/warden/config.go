package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/secrets"
	wserver "github.com/warden-iam/warden/server"
)

// storeFlags are the flags every command that opens the store shares.
type storeFlags struct {
	data  string
	store string
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "./warden-data", "data directory (SQLite database and master key)")
	fs.StringVar(&f.store, "store", "", "store DSN: postgres://... (default: SQLite in --data)")
}

// parseFlags parses args, letting WARDEN_<FLAG> environment variables supply
// any flag not given on the command line. It returns the set of flags given
// either way.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (map[string]bool, error) {
	if err := parseArgs(fs, args, true); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		env := "WARDEN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s: %w", env, e)
			}
			given[f.Name] = true
		}
	})
	return given, err
}

// openStore opens the store the flags name, and the master key that protects
// its secrets. memory selects an in-memory SQLite store (--dev).
func openStore(ctx context.Context, f storeFlags, memory bool, getenv func(string) string) (warden.Store, *secrets.Box, error) {
	return wserver.OpenStore(ctx, wserver.StoreConfig{Data: f.data, DSN: f.store, Memory: memory, MasterKey: getenv("WARDEN_MASTER_KEY")})
}

// newAccountID returns a random 12-digit account ID that does not start with 0.
func newAccountID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9e11))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%012d", n.Int64()+1e11)
}

func validAccountID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// flagSet is a flag set for command name. It prints nothing itself: a bad
// flag is the error parseArgs returns, and help (-h, --help) is a
// *helpError, which run prints to stdout before it exits 0.
func flagSet(name string, _ io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// helpError is a request for a command's help, carrying its text.
type helpError struct{ text string }

func (e *helpError) Error() string { return "help requested" }

// parseArgs parses args into fs; env says whether the command also reads
// its flags from WARDEN_<FLAG> variables.
func parseArgs(fs *flag.FlagSet, args []string, env bool) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return &helpError{text: commandHelp(fs, env)}
	}
	if err != nil {
		return fmt.Errorf("%w (see warden %s --help)", err, fs.Name())
	}
	return nil
}

// commandHelp is the help of one command: its usage line, its flags with
// their defaults and environment variables, and the environment.
func commandHelp(fs *flag.FlagSet, env bool) string {
	var b strings.Builder
	line := "warden " + fs.Name() + " [flags]"
	for _, l := range strings.Split(usage, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "warden "+fs.Name()+" ") {
			line = strings.TrimSpace(l)
			break
		}
	}
	fmt.Fprintf(&b, "usage: %s\n\nflags:\n", line)
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(&b, "  --%s\n        %s", f.Name, f.Usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		if env {
			fmt.Fprintf(&b, " [$WARDEN_%s]", strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")))
		}
		b.WriteString("\n")
	})
	b.WriteString("\n" + environmentHelp)
	return b.String()
}

// environmentHelp lists the variables Warden reads besides WARDEN_<FLAG>.
const environmentHelp = `environment (read by serve, account create and root access-key create):
  WARDEN_<FLAG>                  any flag, e.g. WARDEN_ADDR, WARDEN_DATA, WARDEN_STORE
  WARDEN_MASTER_KEY              key that encrypts secrets at rest (default: generated into --data, mode 0600)
  WARDEN_ROOT_PASSWORD           first start only: the root user's console password (default: generated, printed once)
  WARDEN_ROOT_EMAIL              first start only: the root user's email address
  WARDEN_ROOT_ACCESS_KEY_ID      first start only: a root access key to seed, with
  WARDEN_ROOT_SECRET_ACCESS_KEY  first start only: its secret access key
`

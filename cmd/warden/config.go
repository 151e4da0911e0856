package main

import (
	"context"
	"crypto/rand"
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
	if err := fs.Parse(args); err != nil {
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

func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

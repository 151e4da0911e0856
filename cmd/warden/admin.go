package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/secrets"
)

// localService opens the store for a local administration command.
func localService(ctx context.Context, sf storeFlags, getenv func(string) string) (*iam.Service, func(), error) {
	store, box, err := openStore(ctx, sf, false, getenv)
	if err != nil {
		return nil, nil, err
	}
	svc := iam.New(store, authz.New(store, authz.Strict, slog.New(slog.DiscardHandler)), box)
	return svc, func() { store.Close() }, nil
}

func accountCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("account create", stderr)
	var sf storeFlags
	sf.register(fs)
	id := fs.String("account-id", "", "12-digit ID of the new account (default random)")
	name := fs.String("name", "", "account name")
	email := fs.String("email", "", "root user's email (default root@<account-id>.warden.local)")
	if _, err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *id == "" {
		*id = newAccountID()
	}
	if !validAccountID(*id) {
		return fmt.Errorf("--account-id must be 12 digits, not %q", *id)
	}
	if *email == "" {
		*email = "root@" + *id + ".warden.local"
	}
	svc, done, err := localService(ctx, sf, getenv)
	if err != nil {
		return err
	}
	defer done()
	password := secrets.NewPassword(20)
	if _, err := svc.CreateAccount(ctx, *id, *name, *email, iam.HashPassword(password)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created account %s with root user %s.\nRoot password (shown once, store it safely): %s\n", *id, *email, password)
	return nil
}

func rootKeyCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagSet("root access-key create", stderr)
	var sf storeFlags
	sf.register(fs)
	id := fs.String("account-id", "", "account whose root user gets the key (default: the only account)")
	if _, err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	svc, done, err := localService(ctx, sf, getenv)
	if err != nil {
		return err
	}
	defer done()
	if *id == "" {
		accounts, err := svc.Accounts(ctx)
		if err != nil {
			return err
		}
		switch len(accounts) {
		case 0:
			return errors.New("no account yet: start `warden serve` once to create the first")
		case 1:
			*id = accounts[0].ID
		default:
			return errors.New("several accounts: name one with --account-id")
		}
	}
	keyID, secret, err := svc.CreateRootAccessKey(ctx, *id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "AccessKeyId:     %s\nSecretAccessKey: %s\n(The secret is shown once; store it safely.)\n", keyID, secret)
	return nil
}

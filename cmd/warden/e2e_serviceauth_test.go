package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/wardentest"
)

// serviceAuth asks the service-auth endpoint about a credential; set
// presents it on the request (Basic or Bearer). It returns the response.
func serviceAuth(t *testing.T, s *server, service string, set func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/warden/service-auth/"+service, nil)
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(req)
	}
	resp, err := (&http.Client{Transport: wardentest.Transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func basic(user, password string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, password) }
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func TestE2EServiceAuth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	u := res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("coder")})).must(t).User
	cc := res(root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{
		UserName: aws.String("coder"), ServiceName: aws.String("codecommit.amazonaws.com")})).must(t).ServiceSpecificCredential
	ks := res(root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{
		UserName: aws.String("coder"), ServiceName: aws.String("cassandra.amazonaws.com")})).must(t).ServiceSpecificCredential
	br := res(root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{
		UserName: aws.String("coder"), ServiceName: aws.String("bedrock.amazonaws.com"), CredentialAgeDays: aws.Int32(1)})).must(t).ServiceSpecificCredential
	ccUser, ccPass := *cc.ServiceUserName, *cc.ServicePassword

	t.Run("good credentials name the user", func(t *testing.T) {
		for _, tc := range []struct {
			service string
			set     func(*http.Request)
		}{
			{"codecommit", basic(ccUser, ccPass)},
			{"codecommit.amazonaws.com", basic(ccUser, ccPass)},
			{"keyspaces", basic(*ks.ServiceUserName, *ks.ServicePassword)},
			{"bedrock", bearer(*br.ServiceCredentialSecret)},
		} {
			resp := serviceAuth(t, s, tc.service, tc.set)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d, want 200", tc.service, resp.StatusCode)
			}
			if got := resp.Header.Get("X-Warden-Principal-Arn"); got != *u.Arn {
				t.Errorf("%s: ARN header %q, want %q", tc.service, got, *u.Arn)
			}
			if got := resp.Header.Get("X-Warden-Principal-Id"); got != *u.UserId {
				t.Errorf("%s: ID header %q, want %q", tc.service, got, *u.UserId)
			}
		}
	})

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, service string
			set           func(*http.Request)
		}{
			{"no credentials", "codecommit", nil},
			{"wrong password", "codecommit", basic(ccUser, ccPass+"x")},
			{"empty password", "codecommit", basic(ccUser, "")},
			{"unknown user", "codecommit", basic("nobody-at-"+testAccount, ccPass)},
			{"unknown account", "codecommit", basic("coder-at-999999999999", ccPass)},
			{"another service", "keyspaces", basic(ccUser, ccPass)},
			{"bedrock key for git", "codecommit", bearer(*br.ServiceCredentialSecret)},
			{"git password as bearer", "bedrock", bearer(ccPass)},
			{"altered bedrock key", "bedrock", bearer((*br.ServiceCredentialSecret)[:len(*br.ServiceCredentialSecret)-4] + "AAAA")},
		} {
			resp := serviceAuth(t, s, tc.service, tc.set)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", tc.name, resp.StatusCode)
			}
			if resp.Header.Get("WWW-Authenticate") == "" || resp.Header.Get("X-Warden-Principal-Arn") != "" {
				t.Errorf("%s: headers %v", tc.name, resp.Header)
			}
		}
		if resp := serviceAuth(t, s, "s3", basic(ccUser, ccPass)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown service: status %d, want 404", resp.StatusCode)
		}
	})

	t.Run("inactive then deleted", func(t *testing.T) {
		res(root.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: aws.String("coder"),
			ServiceSpecificCredentialId: ks.ServiceSpecificCredentialId, Status: types.StatusTypeInactive})).must(t)
		if resp := serviceAuth(t, s, "keyspaces", basic(*ks.ServiceUserName, *ks.ServicePassword)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("inactive: status %d, want 401", resp.StatusCode)
		}
		res(root.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: aws.String("coder"),
			ServiceSpecificCredentialId: ks.ServiceSpecificCredentialId})).must(t)
		if resp := serviceAuth(t, s, "keyspaces", basic(*ks.ServiceUserName, *ks.ServicePassword)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("deleted: status %d, want 401", resp.StatusCode)
		}
		// A reset password replaces the old one at once.
		reset := res(root.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: aws.String("coder"),
			ServiceSpecificCredentialId: cc.ServiceSpecificCredentialId})).must(t).ServiceSpecificCredential
		if resp := serviceAuth(t, s, "codecommit", basic(ccUser, ccPass)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("old password after reset: status %d, want 401", resp.StatusCode)
		}
		if resp := serviceAuth(t, s, "codecommit", basic(ccUser, *reset.ServicePassword)); resp.StatusCode != http.StatusOK {
			t.Errorf("new password after reset: status %d, want 200", resp.StatusCode)
		}
	})

	t.Run("last use is recorded", func(t *testing.T) {
		store, err := sqlite.Open(ctx, s.Data+"/warden.db")
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		err = store.View(ctx, func(tx warden.Tx) error {
			c, err := warden.Load[warden.ServiceCredential](ctx, tx, testAccount, warden.OwnedKey(*u.UserId, *cc.ServiceSpecificCredentialId))
			if err != nil {
				return err
			}
			if c.LastUsed == nil {
				t.Errorf("the CodeCommit credential has no last use after a good check")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// Failed attempts from one source are cut off; the limit is per source, so
// it holds however the attempts are spread over names and services.
func TestE2EServiceAuthLimitsFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	res(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("coder")})).must(t)
	cc := res(root.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{
		UserName: aws.String("coder"), ServiceName: aws.String("codecommit.amazonaws.com")})).must(t).ServiceSpecificCredential
	refused := 0
	for i := 0; i < 40; i++ {
		resp := serviceAuth(t, s, "codecommit", basic(*cc.ServiceUserName, "guess"))
		switch resp.StatusCode {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("attempt %d: status %d", i, resp.StatusCode)
		}
	}
	if refused < 15 {
		t.Fatalf("%d of 40 wrong guesses refused before checking, want at least 15 (limit 20)", refused)
	}
	// Once cut off, even the right password is not checked.
	if resp := serviceAuth(t, s, "codecommit", basic(*cc.ServiceUserName, *cc.ServicePassword)); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password while cut off: status %d, want 429", resp.StatusCode)
	}
}

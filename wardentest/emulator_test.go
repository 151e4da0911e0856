package wardentest_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/warden-iam/warden/wardentest"
)

// devAccount is the account of the emulator suites, as `warden serve --dev`
// serves it.
const devAccount = "000000000000"

func devWarden(t *testing.T) *wardentest.Server {
	return wardentest.Start(t, wardentest.WithDev(""), wardentest.WithAccountID(devAccount))
}

// TestEmulatorSuitePython runs testdata/emulator_suite.py, a boto3 suite
// written the way emulator-based suites are (Debian's python3-boto3;
// scripts/test.sh installs it), against a dev-mode Warden found through
// AWS_ENDPOINT_URL.
func TestEmulatorSuitePython(t *testing.T) {
	t.Parallel()
	s := devWarden(t)
	cmd := exec.Command("/usr/bin/python3", "testdata/emulator_suite.py", "-v")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") { // the suite's AWS settings are these alone
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL="+s.Endpoint, "AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"WARDEN_ACCOUNT_ID="+devAccount, "WARDEN_DEV_USER=dev")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 testdata/emulator_suite.py: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "OK") || !strings.Contains(string(out), "Ran 9 tests") {
		t.Fatalf("the suite did not run its 9 tests:\n%s", out)
	}
}

// TestEmulatorSuiteGo is the same kind of suite with aws-sdk-go-v2: any
// credentials, POST /warden/reset before every test.
func TestEmulatorSuiteGo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := devWarden(t)
	anyCreds := s.Config("test", "test", "")
	suite := []struct {
		name string
		run  func(t *testing.T, ic *iam.Client, sc *sts.Client)
	}{
		{"dev identity", func(t *testing.T, ic *iam.Client, sc *sts.Client) {
			who, err := sc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::"+devAccount+":user/dev" {
				t.Fatalf("GetCallerIdentity = %v, %v", who, err)
			}
		}},
		{"users groups policies", func(t *testing.T, ic *iam.Client, sc *sts.Client) {
			must(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
			must(t)(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
			must(t)(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
			p, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			must(t)(ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: p.Policy.Arn}))
			k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
			if err != nil {
				t.Fatal(err)
			}
			alice := iam.NewFromConfig(s.Config(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, ""))
			users, err := alice.ListUsers(ctx, &iam.ListUsersInput{})
			if err != nil || len(users.Users) != 1 {
				t.Fatalf("alice ListUsers through her group = %v, %v", users, err)
			}
			_, err = alice.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
			wantCode(t, err, "AccessDenied", 403)
		}},
		{"assume role", func(t *testing.T, ic *iam.Client, sc *sts.Client) {
			r, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devAccount + `:root"},"Action":"sts:AssumeRole"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			out, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("ci")})
			if err != nil {
				t.Fatal(err)
			}
			c := out.Credentials
			rs := sts.NewFromConfig(s.Config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
			who, err := rs.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::"+devAccount+":assumed-role/deployer/ci" {
				t.Fatalf("role session = %v, %v", who, err)
			}
			// The role has no permissions policies: its session may do nothing.
			_, err = iam.NewFromConfig(s.Config(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)).ListUsers(ctx, &iam.ListUsersInput{})
			wantCode(t, err, "AccessDenied", 403)
		}},
		{"state from the last test is gone", func(t *testing.T, ic *iam.Client, sc *sts.Client) {
			users, err := ic.ListUsers(ctx, &iam.ListUsersInput{})
			if err != nil || len(users.Users) != 0 {
				t.Fatalf("ListUsers after reset = %v, %v", users, err)
			}
			roles, err := ic.ListRoles(ctx, &iam.ListRolesInput{})
			if err != nil || len(roles.Roles) != 0 {
				t.Fatalf("ListRoles after reset = %v, %v", roles, err)
			}
		}},
		{"concurrent IAM-user writes", func(t *testing.T, ic *iam.Client, sc *sts.Client) {
			must(t)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("writer")}))
			must(t)(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("writer"),
				PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")}))
			k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("writer")})
			if err != nil {
				t.Fatal(err)
			}
			w := iam.NewFromConfig(s.Config(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, ""))
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for i := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					name := aws.String("u" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)))
					if _, err := w.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("concurrent CreateUser: %v", err)
			}
		}},
	}
	for _, c := range suite {
		t.Run(c.name, func(t *testing.T) {
			resp, err := http.Post(s.Endpoint+"/warden/reset", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("reset = %d", resp.StatusCode)
			}
			c.run(t, iam.NewFromConfig(anyCreds), sts.NewFromConfig(anyCreds))
		})
	}
}

func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func wantCode(t *testing.T, err error, want string, status int) {
	t.Helper()
	var re *awshttp.ResponseError
	if code(err) != want || !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("got %v, want %s (%d)", err, want, status)
	}
}

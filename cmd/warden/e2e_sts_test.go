package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/totp"
)

const otherAccount = "210987654321"

// stsDoc is a policy document of the given statements.
func stsDoc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// stsTrust is a trust policy statement allowing principal (an ARN or
// account ID) the actions, under an optional condition block.
func stsTrust(principal string, actions []string, condition string) string {
	acts, _ := json.Marshal(actions)
	st := `{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + string(acts)
	if condition != "" {
		st += `,"Condition":` + condition
	}
	return st + `}`
}

// stsAllow is an identity policy statement allowing actions on resource.
func stsAllow(resource string, actions ...string) string {
	acts, _ := json.Marshal(actions)
	return `{"Effect":"Allow","Action":` + string(acts) + `,"Resource":"` + resource + `"}`
}

func roleARNIn(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// stsRole creates a role with a trust policy and an inline permissions
// policy, and returns its ARN.
func stsRole(t *testing.T, c *iam.Client, name, trust, permissions string, tags ...iamtypes.Tag) string {
	t.Helper()
	ctx := context.Background()
	out := res(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust),
		Tags: tags})).must(t)
	if permissions != "" {
		res(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("perms"),
			PolicyDocument: aws.String(permissions)})).must(t)
	}
	return aws.ToString(out.Role.Arn)
}

func putUserPolicyDoc(t *testing.T, c *iam.Client, user, name, doc string) {
	t.Helper()
	res(c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name),
		PolicyDocument: aws.String(doc)})).must(t)
}

// stsAs returns an STS client signing with temporary credentials.
func (s *server) stsAs(c *ststypes.Credentials) *sts.Client {
	cfg := s.config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// iamAs returns an IAM client signing with temporary credentials.
func (s *server) iamAs(c *ststypes.Credentials) *iam.Client {
	cfg := s.config(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// assumeRoleConfig is an SDK configuration whose credentials come from
// stscreds.AssumeRoleProvider, called with the long-term key of a user.
func (s *server) assumeRoleConfig(key *iamtypes.AccessKey, roleARN string, opts func(*stscreds.AssumeRoleOptions)) (aws.Config, *stscreds.AssumeRoleProvider) {
	base := s.stsClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	var optFns []func(*stscreds.AssumeRoleOptions)
	if opts != nil {
		optFns = append(optFns, opts)
	}
	provider := stscreds.NewAssumeRoleProvider(base, roleARN, optFns...)
	cfg := s.config("", "", "")
	cfg.Credentials = aws.NewCredentialsCache(provider)
	return cfg, provider
}

func (s *server) iamWith(cfg aws.Config) *iam.Client {
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

func (s *server) stsWith(cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// wantDenied checks an AccessDenied whose message starts as AWS words it.
func wantDenied(t *testing.T, err error, prefix string) {
	t.Helper()
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	if !strings.Contains(err.Error(), prefix) {
		t.Fatalf("message does not contain %q: %v", prefix, err)
	}
}

func assumeDenied(who, roleARN string) string {
	return "User: " + who + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN
}

func TestE2EAssumeRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	aliceKey, _ := userWithKey(t, s, "alice")
	bobKey, _ := userWithKey(t, s, "bob")
	alice := userARN("/", "alice")

	readerARN := stsRole(t, root, "Reader", stsDoc(stsTrust(alice, []string{"sts:AssumeRole"}, "")),
		stsDoc(stsAllow("*", "iam:List*", "iam:GetRole", "iam:GetUser")))

	t.Run("assumed role acts as the role", func(t *testing.T) {
		cfg, _ := s.assumeRoleConfig(aliceKey, readerARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "s1" })
		id := res(s.stsWith(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		role := res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Reader")})).must(t).Role
		if got, want := aws.ToString(id.Arn), "arn:aws:sts::"+testAccount+":assumed-role/Reader/s1"; got != want {
			t.Errorf("Arn = %s, want %s", got, want)
		}
		if got, want := aws.ToString(id.UserId), aws.ToString(role.RoleId)+":s1"; got != want || !strings.HasPrefix(got, "AROA") {
			t.Errorf("UserId = %s, want %s", got, want)
		}
		if aws.ToString(id.Account) != testAccount {
			t.Errorf("Account = %s", aws.ToString(id.Account))
		}
		c := s.iamWith(cfg)
		res(c.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("by-role")})
		wantDenied(t, err, "User: arn:aws:sts::"+testAccount+":assumed-role/Reader/s1 is not authorized to perform: iam:CreateUser")
		_, err = c.GetUser(ctx, &iam.GetUserInput{})
		wantErr(t, err, "ValidationError", http.StatusBadRequest)
		if !strings.Contains(err.Error(), "Must specify userName when calling with non-User credentials") {
			t.Errorf("GetUser without a name: %v", err)
		}
		// RoleLastUsed records the assumption.
		role = res(root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Reader")})).must(t).Role
		if role.RoleLastUsed == nil || role.RoleLastUsed.LastUsedDate == nil {
			t.Errorf("RoleLastUsed = %+v", role.RoleLastUsed)
		}
	})

	t.Run("credentials have the AWS shapes", func(t *testing.T) {
		base := s.stsClient(aws.ToString(aliceKey.AccessKeyId), aws.ToString(aliceKey.SecretAccessKey))
		out := res(base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN), RoleSessionName: aws.String("shape"),
			DurationSeconds: aws.Int32(900)})).must(t)
		c := out.Credentials
		if id := aws.ToString(c.AccessKeyId); len(id) != 20 || !strings.HasPrefix(id, "ASIA") {
			t.Errorf("AccessKeyId = %s", id)
		}
		if len(aws.ToString(c.SecretAccessKey)) != 40 || len(aws.ToString(c.SessionToken)) < 64 {
			t.Errorf("secret %d chars, token %d chars", len(aws.ToString(c.SecretAccessKey)), len(aws.ToString(c.SessionToken)))
		}
		if left := time.Until(aws.ToTime(c.Expiration)); left < 14*time.Minute || left > 16*time.Minute {
			t.Errorf("Expiration in %v, want 15m", left)
		}
		if out.PackedPolicySize != nil {
			t.Errorf("PackedPolicySize = %d without session policies or tags", *out.PackedPolicySize)
		}
		if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+testAccount+":assumed-role/Reader/shape" {
			t.Errorf("AssumedRoleUser = %+v", out.AssumedRoleUser)
		}
	})

	t.Run("session policy narrows the role", func(t *testing.T) {
		cfg, _ := s.assumeRoleConfig(aliceKey, readerARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "narrow"
			o.Policy = aws.String(stsDoc(stsAllow("*", "iam:ListUsers", "iam:CreateUser")))
		})
		c := s.iamWith(cfg)
		res(c.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
		_, err := c.ListRoles(ctx, &iam.ListRolesInput{})
		wantDenied(t, err, "because no session policy allows the iam:ListRoles action")
		// A session policy grants nothing the role does not.
		_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("by-session")})
		wantDenied(t, err, "because no identity-based policy allows the iam:CreateUser action")
	})

	t.Run("managed session policies", func(t *testing.T) {
		pol := res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("OnlyListRoles"),
			PolicyDocument: aws.String(stsDoc(stsAllow("*", "iam:ListRoles")))})).must(t).Policy
		cfg, _ := s.assumeRoleConfig(aliceKey, readerARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "managed"
			o.PolicyARNs = []ststypes.PolicyDescriptorType{{Arn: pol.Arn}}
		})
		c := s.iamWith(cfg)
		res(c.ListRoles(ctx, &iam.ListRolesInput{})).must(t)
		_, err := c.ListUsers(ctx, &iam.ListUsersInput{})
		wantDenied(t, err, "because no session policy allows the iam:ListUsers action")
	})

	t.Run("malformed session policy", func(t *testing.T) {
		_, p := s.assumeRoleConfig(aliceKey, readerARN, func(o *stscreds.AssumeRoleOptions) {
			o.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`)
		})
		_, err := p.Retrieve(ctx)
		wantErr(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
	})

	t.Run("permissions boundary caps the role", func(t *testing.T) {
		arn := stsRole(t, root, "Bounded", stsDoc(stsTrust(alice, []string{"sts:AssumeRole"}, "")), stsDoc(stsAllow("*", "iam:*")))
		boundary := res(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ListUsersOnly"),
			PolicyDocument: aws.String(stsDoc(stsAllow("*", "iam:ListUsers")))})).must(t).Policy
		res(root.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("Bounded"),
			PermissionsBoundary: boundary.Arn})).must(t)
		cfg, _ := s.assumeRoleConfig(aliceKey, arn, nil)
		c := s.iamWith(cfg)
		res(c.ListUsers(ctx, &iam.ListUsersInput{})).must(t)
		_, err := c.ListRoles(ctx, &iam.ListRolesInput{})
		wantDenied(t, err, "because no permissions boundary allows the iam:ListRoles action")
	})

	t.Run("trust policy refuses", func(t *testing.T) {
		base := s.stsClient(aws.ToString(bobKey.AccessKeyId), aws.ToString(bobKey.SecretAccessKey))
		// Even an identity policy allowing everything does not let bob in:
		// the trust policy must name him or his account.
		putUserPolicyDoc(t, root, "bob", "all", stsDoc(stsAllow("*", "sts:*")))
		_, err := base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN), RoleSessionName: aws.String("nope")})
		wantDenied(t, err, assumeDenied(userARN("/", "bob"), readerARN))
		// AWS STS appends no encoded authorization message to this denial.
		if strings.Contains(err.Error(), "Encoded authorization failure message") {
			t.Errorf("AssumeRole's AccessDenied carries an encoded message: %v", err)
		}
		// A role that does not exist is refused the same way.
		missing := roleARNIn(testAccount, "Missing")
		_, err = base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(missing), RoleSessionName: aws.String("nope")})
		wantDenied(t, err, assumeDenied(userARN("/", "bob"), missing))
		// So is the root user.
		_, err = s.stsClient(rootKeyID, rootSecret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN),
			RoleSessionName: aws.String("root")})
		wantDenied(t, err, "Roles may not be assumed by root accounts.")
	})

	t.Run("trust in the account delegates to identity policies", func(t *testing.T) {
		arn := stsRole(t, root, "Delegated", stsDoc(stsTrust("arn:aws:iam::"+testAccount+":root", []string{"sts:AssumeRole"}, "")),
			stsDoc(stsAllow("*", "iam:ListUsers")))
		carolKey, _ := userWithKey(t, s, "carol")
		_, p := s.assumeRoleConfig(carolKey, arn, nil)
		_, err := p.Retrieve(ctx)
		wantDenied(t, err, assumeDenied(userARN("/", "carol"), arn))
		putUserPolicyDoc(t, root, "carol", "assume", stsDoc(stsAllow(arn, "sts:AssumeRole")))
		res(p.Retrieve(ctx)).must(t)
		// An explicit deny in the identity policy wins over any trust.
		putUserPolicyDoc(t, root, "carol", "deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`)
		_, err = p.Retrieve(ctx)
		wantDenied(t, err, assumeDenied(userARN("/", "carol"), arn))
	})

	t.Run("external ID", func(t *testing.T) {
		arn := stsRole(t, root, "Vendor", stsDoc(stsTrust(alice, []string{"sts:AssumeRole"},
			`{"StringEquals":{"sts:ExternalId":"ticket-4711"}}`)), stsDoc(stsAllow("*", "iam:ListUsers")))
		for _, ext := range []string{"", "ticket-4712"} {
			_, p := s.assumeRoleConfig(aliceKey, arn, func(o *stscreds.AssumeRoleOptions) {
				if ext != "" {
					o.ExternalID = aws.String(ext)
				}
			})
			_, err := p.Retrieve(ctx)
			wantDenied(t, err, assumeDenied(alice, arn))
		}
		cfg, _ := s.assumeRoleConfig(aliceKey, arn, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String("ticket-4711") })
		res(s.iamWith(cfg).ListUsers(ctx, &iam.ListUsersInput{})).must(t)
	})

	t.Run("duration", func(t *testing.T) {
		base := s.stsClient(aws.ToString(aliceKey.AccessKeyId), aws.ToString(aliceKey.SecretAccessKey))
		_, err := base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN), RoleSessionName: aws.String("long"),
			DurationSeconds: aws.Int32(7200)})
		wantErr(t, err, "ValidationError", http.StatusBadRequest)
		if !strings.Contains(err.Error(), "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.") {
			t.Errorf("message: %v", err)
		}
		res(root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("Reader"), MaxSessionDuration: aws.Int32(7200)})).must(t)
		out := res(base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN), RoleSessionName: aws.String("long"),
			DurationSeconds: aws.Int32(7200)})).must(t)
		if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 119*time.Minute || left > 121*time.Minute {
			t.Errorf("Expiration in %v, want 2h", left)
		}
		_, err = base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN), RoleSessionName: aws.String("short"),
			DurationSeconds: aws.Int32(899)})
		wantErr(t, err, "ValidationError", http.StatusBadRequest)
		out = res(base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN), RoleSessionName: aws.String("default")})).must(t)
		if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 59*time.Minute || left > 61*time.Minute {
			t.Errorf("default Expiration in %v, want 1h", left)
		}
	})

	t.Run("role chaining", func(t *testing.T) {
		res(root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("Reader"), MaxSessionDuration: aws.Int32(43200)})).must(t)
		arn := stsRole(t, root, "Chained", stsDoc(stsTrust(readerARN, []string{"sts:AssumeRole"}, "")), stsDoc(stsAllow("*", "iam:ListRoles")))
		res(root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("Chained"), MaxSessionDuration: aws.Int32(43200)})).must(t)
		base := s.stsClient(aws.ToString(aliceKey.AccessKeyId), aws.ToString(aliceKey.SecretAccessKey))
		first := res(base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readerARN), RoleSessionName: aws.String("hop1"),
			DurationSeconds: aws.Int32(7200)})).must(t)
		hop := s.stsAs(first.Credentials)
		_, err := hop.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("hop2"),
			DurationSeconds: aws.Int32(3601)})
		wantErr(t, err, "ValidationError", http.StatusBadRequest)
		if !strings.Contains(err.Error(), "exceeds the 1 hour session limit for roles assumed by role chaining") {
			t.Errorf("message: %v", err)
		}
		second := res(hop.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("hop2")})).must(t)
		id := res(s.stsAs(second.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		if aws.ToString(id.Arn) != "arn:aws:sts::"+testAccount+":assumed-role/Chained/hop2" {
			t.Errorf("chained identity = %s", aws.ToString(id.Arn))
		}
		c := s.iamAs(second.Credentials)
		res(c.ListRoles(ctx, &iam.ListRolesInput{})).must(t)
		_, err = c.ListUsers(ctx, &iam.ListUsersInput{})
		wantErr(t, err, "AccessDenied", http.StatusForbidden)
		// A session of another role is not trusted.
		_, err = s.stsAs(second.Credentials).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("hop3")})
		wantDenied(t, err, assumeDenied("arn:aws:sts::"+testAccount+":assumed-role/Chained/hop2", arn))
	})

	t.Run("session tags", func(t *testing.T) {
		trust := stsDoc(stsTrust(alice, []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"}, ""))
		byTag := stsDoc(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}`,
			`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`)
		arn := stsRole(t, root, "Tagged", trust, byTag, iamtypes.Tag{Key: aws.String("team"), Value: aws.String("blue")})
		// Without session tags the role's own tag applies.
		cfg, _ := s.assumeRoleConfig(aliceKey, arn, nil)
		_, err := s.iamWith(cfg).ListUsers(ctx, &iam.ListUsersInput{})
		wantErr(t, err, "AccessDenied", http.StatusForbidden)
		// A session tag overrides it.
		cfg, _ = s.assumeRoleConfig(aliceKey, arn, func(o *stscreds.AssumeRoleOptions) {
			o.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}
			o.TransitiveTagKeys = []string{"team"}
			o.SourceIdentity = aws.String("alice-laptop")
		})
		res(s.iamWith(cfg).ListUsers(ctx, &iam.ListUsersInput{})).must(t)

		// Passing tags needs sts:TagSession, which Reader's trust lacks.
		_, p := s.assumeRoleConfig(aliceKey, readerARN, func(o *stscreds.AssumeRoleOptions) {
			o.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}
		})
		_, err = p.Retrieve(ctx)
		wantDenied(t, err, "is not authorized to perform: sts:TagSession on resource: "+readerARN)

		// Transitive tags and the source identity follow a chain of roles.
		base := s.stsClient(aws.ToString(aliceKey.AccessKeyId), aws.ToString(aliceKey.SecretAccessKey))
		first := res(base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("t1"),
			Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}, TransitiveTagKeys: []string{"team"},
			SourceIdentity: aws.String("alice-laptop")})).must(t)
		if aws.ToString(first.SourceIdentity) != "alice-laptop" || first.PackedPolicySize == nil {
			t.Errorf("SourceIdentity = %q, PackedPolicySize = %v", aws.ToString(first.SourceIdentity), first.PackedPolicySize)
		}
		next := stsRole(t, root, "TaggedNext", stsDoc(stsTrust(arn, []string{"sts:AssumeRole", "sts:TagSession"}, "")), byTag)
		hop := s.stsAs(first.Credentials)
		second := res(hop.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("t2")})).must(t)
		if aws.ToString(second.SourceIdentity) != "alice-laptop" {
			t.Errorf("chained SourceIdentity = %q", aws.ToString(second.SourceIdentity))
		}
		res(s.iamAs(second.Credentials).ListUsers(ctx, &iam.ListUsersInput{})).must(t)
		_, err = hop.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("t3"),
			Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("blue")}}})
		wantErr(t, err, "InvalidParameterValue", http.StatusBadRequest)
	})
}

func TestE2EAssumeRoleCrossAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	rootB, _ := secondAccount(t, s, otherAccount)
	erinKey, _ := userWithKey(t, s, "erin")
	frankKey, _ := userWithKey(t, s, "frank")

	shared := stsRole(t, rootB, "Shared", stsDoc(stsTrust("arn:aws:iam::"+testAccount+":root", []string{"sts:AssumeRole"}, "")),
		stsDoc(stsAllow("*", "iam:ListRoles")))
	putUserPolicyDoc(t, root, "erin", "assume-shared", stsDoc(stsAllow(shared, "sts:AssumeRole")))

	cfg, p := s.assumeRoleConfig(erinKey, shared, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "erin" })
	id := res(s.stsWith(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Account) != otherAccount || aws.ToString(id.Arn) != "arn:aws:sts::"+otherAccount+":assumed-role/Shared/erin" {
		t.Fatalf("identity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	roles := res(s.iamWith(cfg).ListRoles(ctx, &iam.ListRolesInput{})).must(t).Roles
	if len(roles) != 1 || aws.ToString(roles[0].RoleName) != "Shared" {
		t.Fatalf("the session lists the roles of its account, got %d", len(roles))
	}
	creds := res(p.Retrieve(ctx)).must(t)

	// GetAccessKeyInfo knows the session's key belongs to the role's account.
	info := res(s.stsClient(rootKeyID, rootSecret).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(creds.AccessKeyID)})).must(t)
	if aws.ToString(info.Account) != otherAccount {
		t.Errorf("GetAccessKeyInfo = %s", aws.ToString(info.Account))
	}

	t.Run("the caller's side must allow", func(t *testing.T) {
		_, p := s.assumeRoleConfig(frankKey, shared, nil)
		_, err := p.Retrieve(ctx)
		wantDenied(t, err, assumeDenied(userARN("/", "frank"), shared))
		// Across accounts, naming the user in the trust policy is not enough.
		res(rootB.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Shared"),
			PolicyDocument: aws.String(stsDoc(stsTrust(userARN("/", "frank"), []string{"sts:AssumeRole"}, "")))})).must(t)
		_, err = p.Retrieve(ctx)
		wantDenied(t, err, assumeDenied(userARN("/", "frank"), shared))
		putUserPolicyDoc(t, root, "frank", "assume-shared", stsDoc(stsAllow(shared, "sts:AssumeRole")))
		res(p.Retrieve(ctx)).must(t)
	})

	t.Run("the role's side must allow", func(t *testing.T) {
		// The trust policy now names frank only: erin's own permission does
		// not get her in.
		_, p := s.assumeRoleConfig(erinKey, shared, nil)
		_, err := p.Retrieve(ctx)
		wantDenied(t, err, assumeDenied(userARN("/", "erin"), shared))
	})

	t.Run("roles of unknown accounts", func(t *testing.T) {
		arn := roleARNIn("999999999999", "Shared")
		putUserPolicyDoc(t, root, "erin", "assume-any", stsDoc(stsAllow("*", "sts:AssumeRole")))
		_, p := s.assumeRoleConfig(erinKey, arn, nil)
		_, err := p.Retrieve(ctx)
		wantDenied(t, err, assumeDenied(userARN("/", "erin"), arn))
	})
}

// mfaUserDevice creates a user with a key and an enabled virtual MFA device.
func mfaUserDevice(t *testing.T, s *server, name string) (*iamtypes.AccessKey, mfaDevice) {
	t.Helper()
	key, _ := userWithKey(t, s, name)
	dev := mfaCreate(t, s.root(), "", name+"-phone")
	if err := mfaEnable(t, s.root(), name, dev); err != nil {
		t.Fatal(err)
	}
	return key, dev
}

// nextCode is the code of the step after the one enabling used: within the
// window whichever step the clock has reached meanwhile.
func (d mfaDevice) nextCode() string { return totp.CodeAt(d.seed, totp.Step(time.Now())+1) }

func TestE2EGetSessionTokenMFA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	key, dev := mfaUserDevice(t, s, "gina")
	putUserPolicyDoc(t, root, "gina", "mfa-only", stsDoc(stsAllow("*", "iam:*", "sts:*"),
		`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`))
	long := s.stsClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))

	// Long-term keys carry no MFA: the deny applies.
	_, err := s.iamClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey)).ListUsers(ctx, &iam.ListUsersInput{})
	wantDenied(t, err, "with an explicit deny in an identity-based policy")

	// A session without MFA may not call IAM at all.
	plain := res(long.GetSessionToken(ctx, &sts.GetSessionTokenInput{})).must(t)
	if left := time.Until(aws.ToTime(plain.Credentials.Expiration)); left < 11*time.Hour || left > 13*time.Hour {
		t.Errorf("default Expiration in %v, want 12h", left)
	}
	_, err = s.iamAs(plain.Credentials).ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "InvalidClientTokenId", http.StatusForbidden)
	id := res(s.stsAs(plain.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Arn) != userARN("/", "gina") {
		t.Errorf("session identity = %s", aws.ToString(id.Arn))
	}
	_, err = s.stsAs(plain.Credentials).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantDenied(t, err, "Cannot call GetSessionToken with session credentials")

	// A wrong code is refused, and consumes nothing.
	_, err = long.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(dev.serial), TokenCode: aws.String("000000")})
	wantDenied(t, err, "MultiFactorAuthentication failed")

	code := dev.nextCode()
	withMFA := res(long.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(dev.serial),
		TokenCode: aws.String(code), DurationSeconds: aws.Int32(900)})).must(t)
	res(s.iamAs(withMFA.Credentials).ListUsers(ctx, &iam.ListUsersInput{})).must(t)

	// The same code never works twice.
	_, err = long.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(dev.serial), TokenCode: aws.String(code)})
	wantDenied(t, err, "MultiFactorAuthentication failed")

	_, err = long.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)})
	wantErr(t, err, "ValidationError", http.StatusBadRequest)

	rootSession := res(s.stsClient(rootKeyID, rootSecret).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})).must(t)
	if left := time.Until(aws.ToTime(rootSession.Credentials.Expiration)); left > time.Hour {
		t.Errorf("root session lasts %v, at most 1h", left)
	}

	t.Run("AssumeRole with MFA", func(t *testing.T) {
		key, dev := mfaUserDevice(t, s, "hank")
		arn := stsRole(t, root, "NeedsMFA", stsDoc(stsTrust(userARN("/", "hank"), []string{"sts:AssumeRole"},
			`{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`)), stsDoc(stsAllow("*", "iam:ListRoles")))
		_, p := s.assumeRoleConfig(key, arn, nil)
		_, err := p.Retrieve(ctx)
		wantDenied(t, err, assumeDenied(userARN("/", "hank"), arn))
		cfg, _ := s.assumeRoleConfig(key, arn, func(o *stscreds.AssumeRoleOptions) {
			o.SerialNumber = aws.String(dev.serial)
			o.TokenProvider = func() (string, error) { return dev.nextCode(), nil }
		})
		res(s.iamWith(cfg).ListRoles(ctx, &iam.ListRolesInput{})).must(t)
	})
}

func TestE2EGetFederationToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	key, _ := userWithKey(t, s, "ivan")
	long := s.stsClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))

	_, err := long.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("app")})
	wantDenied(t, err, "is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::"+testAccount+":federated-user/app")

	putUserPolicyDoc(t, root, "ivan", "federate", stsDoc(stsAllow("*", "sts:GetFederationToken", "iam:List*")))
	out := res(long.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("app"),
		Policy: aws.String(stsDoc(stsAllow("*", "iam:ListUsers")))})).must(t)
	wantARN := "arn:aws:sts::" + testAccount + ":federated-user/app"
	if aws.ToString(out.FederatedUser.Arn) != wantARN || aws.ToString(out.FederatedUser.FederatedUserId) != testAccount+":app" {
		t.Errorf("FederatedUser = %+v", out.FederatedUser)
	}
	if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 11*time.Hour || left > 13*time.Hour {
		t.Errorf("default Expiration in %v, want 12h", left)
	}
	fed := s.stsAs(out.Credentials)
	id := res(fed.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	if aws.ToString(id.Arn) != wantARN || aws.ToString(id.UserId) != testAccount+":app" || aws.ToString(id.Account) != testAccount {
		t.Errorf("identity = %s %s %s", aws.ToString(id.UserId), aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	// Federated users may call no IAM operation and no other STS one.
	_, err = s.iamAs(out.Credentials).ListUsers(ctx, &iam.ListUsersInput{})
	wantErr(t, err, "InvalidClientTokenId", http.StatusForbidden)
	_, err = fed.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("again")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)
	_, err = fed.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARNIn(testAccount, "Any")), RoleSessionName: aws.String("x")})
	wantErr(t, err, "AccessDenied", http.StatusForbidden)

	// Only long-term credentials may ask.
	session := res(long.GetSessionToken(ctx, &sts.GetSessionTokenInput{})).must(t)
	_, err = s.stsAs(session.Credentials).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("app")})
	wantDenied(t, err, "Cannot call GetFederationToken with session credentials")

	// The root user's federated users last at most an hour.
	rootFed := res(s.stsClient(rootKeyID, rootSecret).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("ops"),
		DurationSeconds: aws.Int32(7200)})).must(t)
	if left := time.Until(aws.ToTime(rootFed.Credentials.Expiration)); left > time.Hour {
		t.Errorf("root's federated user lasts %v", left)
	}
	_, err = long.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("x")})
	wantErr(t, err, "ValidationError", http.StatusBadRequest) // the name is 2 to 32 characters
}

func TestE2EGetAccessKeyInfoAndDecode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, stsSvc := startWiredServer(t)
	root := s.root()
	rootSTS := s.stsClient(rootKeyID, rootSecret)
	key, _ := userWithKey(t, s, "judy")
	judy := s.stsClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))

	info := res(rootSTS.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: key.AccessKeyId})).must(t)
	if aws.ToString(info.Account) != testAccount {
		t.Errorf("Account = %s", aws.ToString(info.Account))
	}
	_, err := rootSTS.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAUNKNOWNKEY000000")})
	wantErr(t, err, "InvalidParameterValue", http.StatusBadRequest)
	_, err = judy.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: key.AccessKeyId})
	wantDenied(t, err, "is not authorized to perform: sts:GetAccessKeyInfo")

	// A denied AssumeRole carries no encoded message, as on AWS; messages
	// come from services that add them (EC2 does), so one is sealed here
	// by the server's STS itself. judy may not decode it until allowed to.
	arn := stsRole(t, root, "Private", stsDoc(stsTrust("arn:aws:iam::"+testAccount+":root", []string{"sts:AssumeRole"}, "")), "")
	_, err = judy.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("try")})
	wantDenied(t, err, assumeDenied(userARN("/", "judy"), arn))
	if strings.Contains(err.Error(), "Encoded authorization failure message") {
		t.Errorf("AssumeRole's AccessDenied carries an encoded message: %v", err)
	}
	judyP := &warden.Principal{Type: warden.PrincipalUser, Account: testAccount, Name: "judy", ARN: userARN("/", "judy")}
	encoded := stsSvc.EncodeAuthorizationMessage(judyP, "sts:AssumeRole", arn, nil)
	_, err = judy.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	wantDenied(t, err, "is not authorized to perform: sts:DecodeAuthorizationMessage")
	putUserPolicyDoc(t, root, "judy", "decode", stsDoc(stsAllow("*", "sts:DecodeAuthorizationMessage")))
	dec := res(judy.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})).must(t)
	var msg struct {
		Allowed bool `json:"allowed"`
		Context struct {
			Principal struct {
				ARN string `json:"arn"`
			} `json:"principal"`
			Action   string `json:"action"`
			Resource string `json:"resource"`
		} `json:"context"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(dec.DecodedMessage)), &msg); err != nil {
		t.Fatalf("DecodedMessage is not JSON: %v\n%s", err, aws.ToString(dec.DecodedMessage))
	}
	if msg.Allowed || msg.Context.Action != "sts:AssumeRole" || msg.Context.Resource != arn || msg.Context.Principal.ARN != userARN("/", "judy") {
		t.Errorf("decoded = %s", aws.ToString(dec.DecodedMessage))
	}

	t.Run("messages are for their account only", func(t *testing.T) {
		_, stsB := secondAccount(t, s, otherAccount)
		_, err := stsB.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
		wantErr(t, err, "InvalidAuthorizationMessageException", http.StatusBadRequest)
		_, err = judy.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("bm90LWEtbWVzc2FnZQ")})
		wantErr(t, err, "InvalidAuthorizationMessageException", http.StatusBadRequest)
	})
}

func TestE2ETemporaryCredentialsExpireAndRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := startClockedServer(t)
	root := s.root()
	key, _ := userWithKey(t, s, "kim")
	arn := stsRole(t, root, "Ops", stsDoc(stsTrust(userARN("/", "kim"), []string{"sts:AssumeRole"}, "")),
		stsDoc(stsAllow("*", "iam:ListRoles")))
	base := s.stsClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey))
	assume := func(t *testing.T, name string) *ststypes.Credentials {
		t.Helper()
		return res(base.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String(name),
			DurationSeconds: aws.Int32(900)})).must(t).Credentials
	}

	t.Run("forged and missing tokens", func(t *testing.T) {
		c := assume(t, "forge")
		res(s.iamAs(c).ListRoles(ctx, &iam.ListRolesInput{})).must(t)
		tok := []byte(aws.ToString(c.SessionToken))
		tok[10] ^= 1
		forged := *c
		forged.SessionToken = aws.String(string(tok))
		_, err := s.iamAs(&forged).ListRoles(ctx, &iam.ListRolesInput{})
		wantErr(t, err, "InvalidClientTokenId", http.StatusForbidden)
		// A token of another session does not fit either.
		other := assume(t, "other")
		forged.SessionToken = other.SessionToken
		_, err = s.stsAs(&forged).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantErr(t, err, "InvalidClientTokenId", http.StatusForbidden)
		// Nor does signing without one.
		status, body := rawCall(t, s, "sts", aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey),
			url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
		if status != http.StatusForbidden || !strings.Contains(body, "<Code>InvalidClientTokenId</Code>") {
			t.Errorf("without a token: %d %s", status, body)
		}
		// Nor a long-term key with a session token.
		_, err = s.stsAs(&ststypes.Credentials{AccessKeyId: key.AccessKeyId, SecretAccessKey: key.SecretAccessKey,
			SessionToken: c.SessionToken}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantErr(t, err, "InvalidClientTokenId", http.StatusForbidden)
	})

	t.Run("presigned with a session token", func(t *testing.T) {
		c := assume(t, "presign")
		pre, err := sts.NewPresignClient(s.stsAs(c)).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pre.URL, "X-Amz-Security-Token=") {
			t.Fatalf("no token in %s", pre.URL)
		}
		get := func(u string) (int, string) {
			req, err := http.NewRequest(pre.Method, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = pre.SignedHeader.Clone()
			status, body, _ := send(t, req)
			return status, body
		}
		if status, body := get(pre.URL); status != http.StatusOK || !strings.Contains(body, ":assumed-role/Ops/presign</Arn>") {
			t.Fatalf("presigned GetCallerIdentity = %d %s", status, body)
		}
		u, err := url.Parse(pre.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("X-Amz-Security-Token", "forged")
		u.RawQuery = q.Encode()
		if status, body := get(u.String()); status != http.StatusForbidden || !strings.Contains(body, "InvalidClientTokenId") {
			t.Fatalf("forged presigned token = %d %s", status, body)
		}
	})

	t.Run("expired credentials", func(t *testing.T) {
		c := assume(t, "expiring")
		res(s.stsAs(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
		// The clock is real time plus an offset: a margin of seconds keeps
		// a slow (race-detector, loaded) run from crossing the expiry early.
		clock.Advance(890 * time.Second)
		res(s.iamAs(c).ListRoles(ctx, &iam.ListRolesInput{})).must(t)
		clock.Advance(20 * time.Second)
		_, err := s.iamAs(c).ListRoles(ctx, &iam.ListRolesInput{})
		wantErr(t, err, "ExpiredToken", http.StatusForbidden) // IAM answers 403 (cfn-sphere issue 55)
		if !strings.Contains(err.Error(), "The security token included in the request is expired") {
			t.Errorf("message: %v", err)
		}
		_, err = s.stsAs(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantErr(t, err, "ExpiredToken", http.StatusForbidden) // IAM answers 403 (cfn-sphere issue 55)
		// A day later the record is swept away by later issuances; the key
		// is then simply unknown.
		clock.Advance(25 * time.Hour)
		for i := range 20 {
			assume(t, "sweep"+string(rune('a'+i)))
		}
		_, err = s.stsAs(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantErr(t, err, "InvalidClientTokenId", http.StatusForbidden)
	})

	t.Run("revoking older sessions", func(t *testing.T) {
		old := assume(t, "old")
		res(s.iamAs(old).ListRoles(ctx, &iam.ListRolesInput{})).must(t)
		clock.Advance(10 * time.Second)
		revokeBefore := clock.Now().UTC().Format(time.RFC3339)
		res(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Ops"), PolicyName: aws.String("AWSRevokeOlderSessions"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",` +
				`"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + revokeBefore + `"}}}]}`)})).must(t)
		_, err := s.iamAs(old).ListRoles(ctx, &iam.ListRolesInput{})
		wantDenied(t, err, "with an explicit deny in an identity-based policy")
		clock.Advance(10 * time.Second)
		fresh := assume(t, "fresh")
		res(s.iamAs(fresh).ListRoles(ctx, &iam.ListRolesInput{})).must(t)
		// Long-term credentials have no aws:TokenIssueTime: the deny does
		// not touch the users who may assume the role.
		res(s.stsClient(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).must(t)
	})
}

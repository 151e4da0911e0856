package main

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// checkNewKey checks the shape of a key CreateAccessKey returned.
func checkNewKey(t *testing.T, k *types.AccessKey) {
	t.Helper()
	if id := aws.ToString(k.AccessKeyId); len(id) != 20 || !strings.HasPrefix(id, "AKIA") || strings.ToUpper(id) != id {
		t.Errorf("AccessKeyId = %q, want AKIA + 16 upper-case characters", id)
	}
	if n := len(aws.ToString(k.SecretAccessKey)); n != 40 {
		t.Errorf("SecretAccessKey has %d characters, want 40", n)
	}
	if k.Status != types.StatusTypeActive {
		t.Errorf("Status = %s, want Active", k.Status)
	}
	recent(t, "key CreateDate", k.CreateDate)
}

// callerARN returns the ARN STS sees for a key, or the error.
func callerARN(s *server, k *types.AccessKey) (string, error) {
	out, err := s.stsClient(*k.AccessKeyId, *k.SecretAccessKey).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

func TestE2EAccessKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "kay")
	grantSelfService(t, root, "kay")

	k1 := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kay")})).must(t).AccessKey
	checkNewKey(t, k1)
	if aws.ToString(k1.UserName) != "kay" {
		t.Errorf("UserName = %q", aws.ToString(k1.UserName))
	}
	k2 := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kay")})).must(t).AccessKey
	checkNewKey(t, k2)
	if *k1.AccessKeyId == *k2.AccessKeyId || *k1.SecretAccessKey == *k2.SecretAccessKey {
		t.Fatal("two keys share an ID or a secret")
	}
	_, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kay")})
	wantErr(t, err, "LimitExceeded", 409)

	// Before any use: N/A, as AWS reports.
	for _, k := range []*types.AccessKey{k1, k2} {
		lu := res(root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})).must(t)
		if aws.ToString(lu.UserName) != "kay" || lu.AccessKeyLastUsed == nil {
			t.Fatalf("unused key %s: UserName %q, AccessKeyLastUsed %v", *k.AccessKeyId, aws.ToString(lu.UserName), lu.AccessKeyLastUsed)
		}
		if l := lu.AccessKeyLastUsed; aws.ToString(l.ServiceName) != "N/A" || aws.ToString(l.Region) != "N/A" || l.LastUsedDate != nil {
			t.Errorf("unused key %s last used %s in %s at %v", *k.AccessKeyId, aws.ToString(l.ServiceName), aws.ToString(l.Region), l.LastUsedDate)
		}
	}
	if arn, err := callerARN(s, k1); err != nil || arn != userARN("/", "kay") {
		t.Fatalf("k1 identity = %s, %v", arn, err)
	}
	res(s.iamClient(*k2.AccessKeyId, *k2.SecretAccessKey).GetUser(ctx, &iam.GetUserInput{})).must(t)
	for _, tt := range []struct {
		key     *types.AccessKey
		service string
	}{{k1, "sts"}, {k2, "iam"}} {
		lu := res(root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: tt.key.AccessKeyId})).must(t).AccessKeyLastUsed
		if aws.ToString(lu.ServiceName) != tt.service || aws.ToString(lu.Region) != "us-east-1" {
			t.Errorf("key used for %s: last used %s in %s", tt.service, aws.ToString(lu.ServiceName), aws.ToString(lu.Region))
		}
		recent(t, "LastUsedDate", lu.LastUsedDate)
	}

	// Listing shows both keys, by the user itself too, and never a secret.
	for who, c := range map[string]*iam.Client{"root": root, "kay": s.iamClient(*k1.AccessKeyId, *k1.SecretAccessKey)} {
		in := &iam.ListAccessKeysInput{UserName: aws.String("kay")}
		if who == "kay" {
			in = &iam.ListAccessKeysInput{}
		}
		out := res(c.ListAccessKeys(ctx, in)).must(t)
		var ids []string
		for _, m := range out.AccessKeyMetadata {
			ids = append(ids, aws.ToString(m.AccessKeyId))
			if aws.ToString(m.UserName) != "kay" || m.Status != types.StatusTypeActive {
				t.Errorf("%s: metadata = %+v", who, m)
			}
		}
		if !slices.Equal(sorted(ids), sorted([]string{*k1.AccessKeyId, *k2.AccessKeyId})) || out.IsTruncated {
			t.Errorf("%s: listed keys %v", who, ids)
		}
	}
	status, body := rawCall(t, s, "iam", rootKeyID, rootSecret, url.Values{"Action": {"ListAccessKeys"}, "Version": {"2010-05-08"}, "UserName": {"kay"}})
	if status != 200 || !strings.Contains(body, *k1.AccessKeyId) {
		t.Fatalf("raw ListAccessKeys = %d %s", status, body)
	}
	if strings.Contains(body, *k1.SecretAccessKey) || strings.Contains(body, *k2.SecretAccessKey) || strings.Contains(body, "SecretAccessKey") {
		t.Errorf("ListAccessKeys response shows a secret: %s", body)
	}

	// An inactive key is refused as if unknown; activating it again restores it.
	res(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kay"), AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeInactive})).must(t)
	_, err = callerARN(s, k1)
	wantErr(t, err, "InvalidClientTokenId", 403)
	_, err = s.iamClient(*k1.AccessKeyId, *k1.SecretAccessKey).GetUser(ctx, &iam.GetUserInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
	if _, err := callerARN(s, k2); err != nil {
		t.Fatalf("the other key stopped working: %v", err)
	}
	meta := res(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kay")})).must(t).AccessKeyMetadata
	for _, m := range meta {
		want := types.StatusTypeActive
		if *m.AccessKeyId == *k1.AccessKeyId {
			want = types.StatusTypeInactive
		}
		if m.Status != want {
			t.Errorf("key %s status %s, want %s", *m.AccessKeyId, m.Status, want)
		}
	}
	res(root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kay"), AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeActive})).must(t)
	if _, err := callerARN(s, k1); err != nil {
		t.Fatalf("reactivated key refused: %v", err)
	}

	// Deleting a key ends it for good.
	res(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("kay"), AccessKeyId: k2.AccessKeyId})).must(t)
	_, err = callerARN(s, k2)
	wantErr(t, err, "InvalidClientTokenId", 403)
	meta = res(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("kay")})).must(t).AccessKeyMetadata
	if len(meta) != 1 || *meta[0].AccessKeyId != *k1.AccessKeyId {
		t.Errorf("keys after delete = %+v", meta)
	}
	// There is room for a new key again.
	res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("kay")})).must(t)

	createUser(t, root, "other")
	errs := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"delete deleted key", func() error {
			_, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("kay"), AccessKeyId: k2.AccessKeyId})
			return err
		}, "NoSuchEntity", 404},
		{"update another user's key", func() error {
			_, err := root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("other"), AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeInactive})
			return err
		}, "NoSuchEntity", 404},
		{"delete another user's key", func() error {
			_, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("other"), AccessKeyId: k1.AccessKeyId})
			return err
		}, "NoSuchEntity", 404},
		{"bad status", func() error {
			_, err := root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("kay"), AccessKeyId: k1.AccessKeyId, Status: "Disabled"})
			return err
		}, "ValidationError", 400},
		{"key for missing user", func() error {
			_, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"keys of missing user", func() error {
			_, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("ghost")})
			return err
		}, "NoSuchEntity", 404},
		{"last used of unknown key", func() error {
			_, err := root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAUNKNOWNKEY000000")})
			return err
		}, "NoSuchEntity", 404},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.call(), tt.code, tt.status)
		})
	}
	if _, err := callerARN(s, k1); err != nil {
		t.Errorf("k1 stopped working after refused changes: %v", err)
	}
}

func TestE2ERootAccessKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	k := res(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})).must(t).AccessKey
	checkNewKey(t, k)
	if arn, err := callerARN(s, k); err != nil || arn != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("new root key identity = %s, %v", arn, err)
	}
	meta := res(root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})).must(t).AccessKeyMetadata
	var ids []string
	for _, m := range meta {
		ids = append(ids, aws.ToString(m.AccessKeyId))
	}
	if !slices.Equal(sorted(ids), sorted([]string{rootKeyID, *k.AccessKeyId})) {
		t.Errorf("root keys = %v", ids)
	}
	_, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantErr(t, err, "LimitExceeded", 409)
	lu := res(root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(rootKeyID)})).must(t).AccessKeyLastUsed
	if aws.ToString(lu.ServiceName) != "iam" {
		t.Errorf("root key last used for %q, want iam", aws.ToString(lu.ServiceName))
	}
	// The new key can retire the old one.
	newRoot := s.iamClient(*k.AccessKeyId, *k.SecretAccessKey)
	res(newRoot.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(rootKeyID)})).must(t)
	_, err = root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
	meta = res(newRoot.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})).must(t).AccessKeyMetadata
	if len(meta) != 1 || *meta[0].AccessKeyId != *k.AccessKeyId {
		t.Errorf("root keys after delete = %+v", meta)
	}
}

func TestE2ELoginProfiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	createUser(t, root, "lp")

	// The default policy: at least 8 characters of three kinds.
	for _, bad := range []string{"Sh0rt!", "alllowercaseonly", "ALLUPPER1234"} {
		_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("lp"), Password: aws.String(bad)})
		wantErr(t, err, "PasswordPolicyViolation", 400)
	}
	_, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("lp")})
	wantErr(t, err, "NoSuchEntity", 404)

	p := res(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("lp"), Password: aws.String("Good-pass1"), PasswordResetRequired: true})).must(t).LoginProfile
	if aws.ToString(p.UserName) != "lp" || !p.PasswordResetRequired {
		t.Errorf("CreateLoginProfile = %+v", p)
	}
	recent(t, "login profile CreateDate", p.CreateDate)
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("lp"), Password: aws.String("Good-pass2")})
	wantErr(t, err, "EntityAlreadyExists", 409)

	got := res(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("lp")})).must(t).LoginProfile
	if aws.ToString(got.UserName) != "lp" || !got.PasswordResetRequired || !got.CreateDate.Equal(*p.CreateDate) {
		t.Errorf("GetLoginProfile = %+v", got)
	}
	res(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("lp"), PasswordResetRequired: aws.Bool(false)})).must(t)
	if got := res(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("lp")})).must(t).LoginProfile; got.PasswordResetRequired {
		t.Error("PasswordResetRequired still set after UpdateLoginProfile")
	}
	_, err = root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("lp"), Password: aws.String("weak")})
	wantErr(t, err, "PasswordPolicyViolation", 400)
	res(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("lp"), Password: aws.String("Better-pass2")})).must(t)

	res(root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("lp")})).must(t)
	_, err = root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("lp")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("lp")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("lp"), PasswordResetRequired: aws.Bool(true)})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("ghost"), Password: aws.String("Good-pass1")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("ghost")})
	wantErr(t, err, "NoSuchEntity", 404)
}

func TestE2EPasswordPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()

	_, err := root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = root.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	wantErr(t, err, "NoSuchEntity", 404)

	res(root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
		RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90),
		PasswordReusePrevention: aws.Int32(3),
	})).must(t)
	pp := res(root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})).must(t).PasswordPolicy
	if aws.ToInt32(pp.MinimumPasswordLength) != 12 || !pp.RequireSymbols || !pp.RequireNumbers || !pp.RequireUppercaseCharacters ||
		!pp.RequireLowercaseCharacters || !pp.AllowUsersToChangePassword || !pp.ExpirePasswords ||
		aws.ToInt32(pp.MaxPasswordAge) != 90 || aws.ToInt32(pp.PasswordReusePrevention) != 3 || aws.ToBool(pp.HardExpiry) {
		t.Errorf("password policy = %+v", pp)
	}

	createUser(t, root, "pw")
	for _, bad := range []struct{ why, password string }{
		{"too short", "Ab1!cdefgh"},
		{"no symbol", "Abcdefgh1234"},
		{"no number", "Abcdefgh!xyz"},
		{"no upper case", "abcdefgh1!xy"},
		{"no lower case", "ABCDEFGH1!XY"},
		// Passes the default policy, not this one.
		{"default would pass", "Good-pass1"},
	} {
		t.Run(bad.why, func(t *testing.T) {
			_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("pw"), Password: aws.String(bad.password)})
			wantErr(t, err, "PasswordPolicyViolation", 400)
		})
	}
	res(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("pw"), Password: aws.String("Abcdefgh123!")})).must(t)

	_, err = root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)})
	wantErr(t, err, "ValidationError", 400)
	_, err = root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{PasswordReusePrevention: aws.Int32(25)})
	wantErr(t, err, "ValidationError", 400)

	res(root.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})).must(t)
	_, err = root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantErr(t, err, "NoSuchEntity", 404)
	// Back to the default policy.
	res(root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("pw"), Password: aws.String("Good-pass1")})).must(t)
}

func TestE2EChangePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	_, user := userWithKey(t, s, "chg")
	grantSelfService(t, root, "chg")
	res(root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(10),
		RequireNumbers: true, AllowUsersToChangePassword: true, PasswordReusePrevention: aws.Int32(2)})).must(t)
	res(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("chg"), Password: aws.String("first-pass-1"), PasswordResetRequired: true})).must(t)

	change := func(old, new string) error {
		_, err := user.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(old), NewPassword: aws.String(new)})
		return err
	}
	wantErr(t, change("wrong-pass-1", "second-pass-2"), "AccessDenied", 403)
	wantErr(t, change("first-pass-1", "short-1"), "PasswordPolicyViolation", 400)
	wantErr(t, change("first-pass-1", "no-numbers-here"), "PasswordPolicyViolation", 400)
	wantErr(t, change("first-pass-1", "first-pass-1"), "PasswordPolicyViolation", 400)
	if err := change("first-pass-1", "second-pass-2"); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	if lp := res(root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("chg")})).must(t).LoginProfile; lp.PasswordResetRequired {
		t.Error("PasswordResetRequired still set after the user changed its password")
	}
	// The old password is gone, the new one works.
	wantErr(t, change("first-pass-1", "third-pass-3"), "AccessDenied", 403)
	if err := change("second-pass-2", "third-pass-3"); err != nil {
		t.Fatalf("second ChangePassword: %v", err)
	}

	_, err := root.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(rootPass), NewPassword: aws.String("Another-Root-Passw0rd")})
	wantErr(t, err, "InvalidUserType", 400)

	// A user without a login profile has no password to change.
	_, other := userWithKey(t, s, "nopass")
	grantSelfService(t, root, "nopass")
	_, err = other.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("whatever-1"), NewPassword: aws.String("whatever-22")})
	wantErr(t, err, "NoSuchEntity", 404)
}

package iam

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/secrets"
)

// defaultPasswordPolicy is what IAM enforces when an account has set none:
// at least 8 characters and three of the four character classes.
var defaultPasswordPolicy = warden.PasswordPolicy{MinimumPasswordLength: 8, AllowUsersToChangePassword: true}

// CheckPassword returns PasswordPolicyViolation when password does not satisfy
// policy (nil: the default policy).
func CheckPassword(policy *warden.PasswordPolicy, password string) error {
	pp := policy
	if pp == nil {
		pp = &defaultPasswordPolicy
	}
	var upper, lower, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune("!@#$%^&*()_+-=[]{}|'", r):
			symbol = true
		}
	}
	var problems []string
	if len([]rune(password)) < pp.MinimumPasswordLength {
		problems = append(problems, "minimum length")
	}
	if pp.RequireUppercaseCharacters && !upper {
		problems = append(problems, "uppercase character")
	}
	if pp.RequireLowercaseCharacters && !lower {
		problems = append(problems, "lowercase character")
	}
	if pp.RequireNumbers && !digit {
		problems = append(problems, "number")
	}
	if pp.RequireSymbols && !symbol {
		problems = append(problems, "symbol")
	}
	if policy == nil {
		classes := 0
		for _, b := range []bool{upper, lower, digit, symbol} {
			if b {
				classes++
			}
		}
		if classes < 3 {
			problems = append(problems, "three of uppercase, lowercase, numbers and symbols")
		}
	}
	if len(problems) > 0 {
		return warden.Errorf(warden.CodePasswordPolicyViolation, "Password does not conform to the account password policy.")
	}
	return nil
}

func (s *Service) passwordPolicy(ctx context.Context, tx warden.Tx, account string) (*warden.PasswordPolicy, error) {
	acct, err := s.loadAccount(ctx, tx, account)
	if err != nil {
		return nil, err
	}
	return acct.PasswordPolicy, nil
}

type wLoginProfile struct {
	UserName              string    `xml:"UserName"`
	CreateDate            time.Time `xml:"CreateDate"`
	PasswordResetRequired bool      `xml:"PasswordResetRequired"`
}

type loginProfileOutput struct {
	LoginProfile wLoginProfile `xml:"LoginProfile"`
}

type createLoginProfileInput struct {
	UserName              string
	Password              string
	PasswordResetRequired bool
}

func (s *Service) createLoginProfile(ctx context.Context, p *warden.Principal, in *createLoginProfileInput) (*loginProfileOutput, error) {
	if in.UserName == "" || in.Password == "" {
		return nil, warden.Errorf(warden.CodeValidationError, "UserName and Password are required.")
	}
	var out wLoginProfile
	hash := secrets.HashPassword(in.Password)
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "CreateLoginProfile", in.UserName, nil)
		if err != nil {
			return err
		}
		if u.LoginProfile != nil {
			return alreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		pp, err := s.passwordPolicy(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		if err := CheckPassword(pp, in.Password); err != nil {
			return err
		}
		now := s.now()
		u.LoginProfile = &warden.LoginProfile{PasswordHash: hash, CreateDate: now, PasswordChanged: now, PasswordResetRequired: in.PasswordResetRequired}
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		out = wLoginProfile{UserName: u.Name, CreateDate: now, PasswordResetRequired: in.PasswordResetRequired}
		return s.auditIn(ctx, tx, p, "CreateLoginProfile", u.ARN())
	})
	if err != nil {
		return nil, err
	}
	return &loginProfileOutput{LoginProfile: out}, nil
}

type userNameInput struct {
	UserName string
}

func noLoginProfile(name string) error {
	return noSuchEntity("Login Profile for User %s cannot be found.", name)
}

func (s *Service) getLoginProfile(ctx context.Context, p *warden.Principal, in *userNameInput) (*loginProfileOutput, error) {
	var u *warden.User
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		u, err = s.userFor(ctx, tx, p, "GetLoginProfile", in.UserName, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, noLoginProfile(u.Name)
	}
	return &loginProfileOutput{LoginProfile: wLoginProfile{UserName: u.Name, CreateDate: u.LoginProfile.CreateDate, PasswordResetRequired: u.LoginProfile.PasswordResetRequired}}, nil
}

type updateLoginProfileInput struct {
	UserName              string
	Password              *string
	PasswordResetRequired *bool
}

func (s *Service) updateLoginProfile(ctx context.Context, p *warden.Principal, in *updateLoginProfileInput) error {
	var hash string
	if in.Password != nil {
		hash = secrets.HashPassword(*in.Password)
	}
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "UpdateLoginProfile", in.UserName, nil)
		if err != nil {
			return err
		}
		if u.LoginProfile == nil {
			return noLoginProfile(u.Name)
		}
		if in.Password != nil {
			pp, err := s.passwordPolicy(ctx, tx, p.Account)
			if err != nil {
				return err
			}
			if err := CheckPassword(pp, *in.Password); err != nil {
				return err
			}
			u.LoginProfile.PasswordHash = hash
			u.LoginProfile.PasswordChanged = s.now()
		}
		if in.PasswordResetRequired != nil {
			u.LoginProfile.PasswordResetRequired = *in.PasswordResetRequired
		}
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UpdateLoginProfile", u.ARN())
	})
}

func (s *Service) deleteLoginProfile(ctx context.Context, p *warden.Principal, in *userNameInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "DeleteLoginProfile", in.UserName, nil)
		if err != nil {
			return err
		}
		if u.LoginProfile == nil {
			return noLoginProfile(u.Name)
		}
		u.LoginProfile = nil
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteLoginProfile", u.ARN())
	})
}

type changePasswordInput struct {
	OldPassword string
	NewPassword string
}

func (s *Service) changePassword(ctx context.Context, p *warden.Principal, in *changePasswordInput) error {
	if p.Type != warden.PrincipalUser {
		return warden.Errorf("InvalidUserType", "Only IAM users can change their own password.")
	}
	hash := secrets.HashPassword(in.NewPassword)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.loadUser(ctx, tx, p.Account, p.Name)
		if err != nil {
			return err
		}
		pp, err := s.passwordPolicy(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		if pp != nil && !pp.AllowUsersToChangePassword {
			if err := s.authorize(ctx, p, "ChangePassword", u.ARN(), nil); err != nil {
				return err
			}
		}
		if u.LoginProfile == nil {
			return noLoginProfile(u.Name)
		}
		if !secrets.CheckPassword(u.LoginProfile.PasswordHash, in.OldPassword) {
			return warden.Errorf(warden.CodeAccessDenied, "The old password is incorrect.")
		}
		if err := CheckPassword(pp, in.NewPassword); err != nil {
			return err
		}
		if pp != nil && pp.PasswordReusePrevention > 0 {
			history := append([]string{u.LoginProfile.PasswordHash}, u.LoginProfile.PreviousHashes...)
			for i, h := range history {
				if i >= pp.PasswordReusePrevention {
					break
				}
				if secrets.CheckPassword(h, in.NewPassword) {
					return warden.Errorf(warden.CodePasswordPolicyViolation, "Password does not conform to the account password policy.")
				}
			}
			u.LoginProfile.PreviousHashes = history[:min(len(history), pp.PasswordReusePrevention)]
		}
		u.LoginProfile.PasswordHash = hash
		u.LoginProfile.PasswordChanged = s.now()
		u.LoginProfile.PasswordResetRequired = false
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "ChangePassword", u.ARN())
	})
}

type wPasswordPolicy struct {
	MinimumPasswordLength      int  `xml:"MinimumPasswordLength"`
	RequireSymbols             bool `xml:"RequireSymbols"`
	RequireNumbers             bool `xml:"RequireNumbers"`
	RequireUppercaseCharacters bool `xml:"RequireUppercaseCharacters"`
	RequireLowercaseCharacters bool `xml:"RequireLowercaseCharacters"`
	AllowUsersToChangePassword bool `xml:"AllowUsersToChangePassword"`
	ExpirePasswords            bool `xml:"ExpirePasswords"`
	MaxPasswordAge             int  `xml:"MaxPasswordAge,omitempty"`
	PasswordReusePrevention    int  `xml:"PasswordReusePrevention,omitempty"`
	HardExpiry                 bool `xml:"HardExpiry"`
}

type getPasswordPolicyOutput struct {
	PasswordPolicy wPasswordPolicy `xml:"PasswordPolicy"`
}

type emptyInput struct{}

func accountResource(account string) string { return "arn:aws:iam::" + account + ":root" }

func (s *Service) getAccountPasswordPolicy(ctx context.Context, p *warden.Principal, _ *emptyInput) (*getPasswordPolicyOutput, error) {
	if err := s.authorize(ctx, p, "GetAccountPasswordPolicy", "*", nil); err != nil {
		return nil, err
	}
	var pp *warden.PasswordPolicy
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		pp, err = s.passwordPolicy(ctx, tx, p.Account)
		return err
	})
	if err != nil {
		return nil, err
	}
	if pp == nil {
		return nil, noSuchEntity("The Password Policy with domain name %s cannot be found.", p.Account)
	}
	return &getPasswordPolicyOutput{PasswordPolicy: wPasswordPolicy{
		MinimumPasswordLength: pp.MinimumPasswordLength, RequireSymbols: pp.RequireSymbols, RequireNumbers: pp.RequireNumbers,
		RequireUppercaseCharacters: pp.RequireUppercaseCharacters, RequireLowercaseCharacters: pp.RequireLowercaseCharacters,
		AllowUsersToChangePassword: pp.AllowUsersToChangePassword, ExpirePasswords: pp.MaxPasswordAge > 0,
		MaxPasswordAge: pp.MaxPasswordAge, PasswordReusePrevention: pp.PasswordReusePrevention, HardExpiry: pp.HardExpiry,
	}}, nil
}

type updatePasswordPolicyInput struct {
	MinimumPasswordLength      *int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int
	PasswordReusePrevention    int
	HardExpiry                 bool
}

func (s *Service) updateAccountPasswordPolicy(ctx context.Context, p *warden.Principal, in *updatePasswordPolicyInput) error {
	if err := s.authorize(ctx, p, "UpdateAccountPasswordPolicy", "*", nil); err != nil {
		return err
	}
	pp := &warden.PasswordPolicy{MinimumPasswordLength: 6, RequireSymbols: in.RequireSymbols, RequireNumbers: in.RequireNumbers,
		RequireUppercaseCharacters: in.RequireUppercaseCharacters, RequireLowercaseCharacters: in.RequireLowercaseCharacters,
		AllowUsersToChangePassword: in.AllowUsersToChangePassword, MaxPasswordAge: in.MaxPasswordAge,
		PasswordReusePrevention: in.PasswordReusePrevention, HardExpiry: in.HardExpiry}
	if in.MinimumPasswordLength != nil {
		pp.MinimumPasswordLength = *in.MinimumPasswordLength
	}
	return s.update(ctx, p, "UpdateAccountPasswordPolicy", accountResource(p.Account), func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		acct.PasswordPolicy = pp
		return warden.Save(ctx, tx, acct)
	})
}

func (s *Service) deleteAccountPasswordPolicy(ctx context.Context, p *warden.Principal, _ *emptyInput) error {
	if err := s.authorize(ctx, p, "DeleteAccountPasswordPolicy", "*", nil); err != nil {
		return err
	}
	return s.update(ctx, p, "DeleteAccountPasswordPolicy", accountResource(p.Account), func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		if acct.PasswordPolicy == nil {
			return noSuchEntity("The account policy with name PasswordPolicy cannot be found.")
		}
		acct.PasswordPolicy = nil
		return warden.Save(ctx, tx, acct)
	})
}

package iam

import (
	"context"

	"github.com/warden-iam/warden"
)

// accountOperations are Warden's account settings that AWS exposes only in its
// console: the billing-access toggle and closing the account. They are
// Query actions on the IAM endpoint (see docs/api.md), and root-only.
func (s *Service) accountOperations() map[string]operation {
	return map[string]operation{
		"GetBillingAccess":  op(s.getBillingAccess),
		"SetBillingAccess":  noOutput(s.setBillingAccess),
		"CloseAccount":      noOutput(s.closeAccount),
		"GetBillingSummary": op(s.getBillingSummary),
	}
}

type getBillingAccessOutput struct {
	Enabled bool `xml:"Enabled"`
}

func (s *Service) getBillingAccess(ctx context.Context, p *warden.Principal, _ *emptyInput) (*getBillingAccessOutput, error) {
	if err := s.RootOnly(ctx, p, "aws-portal:ViewAccount"); err != nil {
		return nil, err
	}
	var acct *warden.Account
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		acct, err = s.loadAccount(ctx, tx, p.Account)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &getBillingAccessOutput{Enabled: acct.BillingAccess}, nil
}

type setBillingAccessInput struct {
	Enabled bool
}

// setBillingAccess is the "IAM user and role access to billing information"
// setting: while it is off, billing actions are denied to every IAM principal
// whatever their policies say.
func (s *Service) setBillingAccess(ctx context.Context, p *warden.Principal, in *setBillingAccessInput) error {
	if err := s.RootOnly(ctx, p, "aws-portal:ModifyAccount"); err != nil {
		return err
	}
	return s.update(ctx, p, "SetBillingAccess", accountResource(p.Account), func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		acct.BillingAccess = in.Enabled
		return warden.Save(ctx, tx, acct)
	})
}

type closeAccountInput struct {
	AccountId string
}

// closeAccount closes the caller's account: every credential of the account
// stops working at once. The confirmation must name the account.
func (s *Service) closeAccount(ctx context.Context, p *warden.Principal, in *closeAccountInput) error {
	if err := s.RootOnly(ctx, p, "account:CloseAccount"); err != nil {
		return err
	}
	if in.AccountId != p.Account {
		return invalidInput("AccountId must repeat the ID of the account being closed (%s).", p.Account)
	}
	return s.update(ctx, p, "CloseAccount", accountResource(p.Account), func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		acct.Status = warden.AccountClosed
		return warden.Save(ctx, tx, acct)
	})
}

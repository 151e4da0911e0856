package authz

import (
	"context"
	"errors"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// billingNamespaces are the services behind the account setting "IAM user
// and role access to billing information".
var billingNamespaces = []string{"aws-portal:", "billing:", "payments:", "ce:", "budgets:", "cur:",
	"purchase-orders:", "tax:", "invoicing:", "freetier:", "consolidatedbilling:", "billingconductor:"}

// isBillingAction reports whether action is one the billing-access setting
// governs: every action of a billing service, and account:*Billing* actions.
func isBillingAction(action string) bool {
	a := strings.ToLower(action)
	for _, ns := range billingNamespaces {
		if strings.HasPrefix(a, ns) {
			return true
		}
	}
	return strings.HasPrefix(a, "account:") && strings.Contains(a, "billing")
}

// billingAccess reports the account's billing-access setting: the one
// Prepare put in ctx, else from the snapshot, else read from the store.
func (a *Authorizer) billingAccess(ctx context.Context, account string) (bool, error) {
	if pr, ok := ctx.Value(preparedKey{}).(*prepared); ok && pr.account == account {
		return pr.billing, nil
	}
	if enabled, ok := a.billing.Get(account); ok {
		return enabled, nil
	}
	epoch := a.billing.Epoch()
	var enabled bool
	err := a.store.View(ctx, func(tx warden.Tx) error {
		acct, err := warden.Load[warden.Account](ctx, tx, "", account)
		if errors.Is(err, warden.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		enabled = acct.BillingAccess
		return nil
	})
	if err != nil {
		return false, err
	}
	a.billing.Put(account, enabled, []warden.Ref{{Kind: warden.KindAccount, Key: account}}, epoch)
	return enabled, nil
}

// blockBilling turns an Allow of a billing action into a denial while the
// account has not activated IAM access to billing information.
func (a *Authorizer) blockBilling(ctx context.Context, p *warden.Principal, d *Decision) error {
	if d.Result.Decision != policy.Allow || !isBillingAction(d.Request.Action) {
		return nil
	}
	enabled, err := a.billingAccess(ctx, p.Account)
	if err != nil || enabled {
		return err
	}
	d.Result = policy.Result{Decision: policy.ImplicitDeny, Missing: policy.Identity}
	d.BillingBlocked = true
	return nil
}

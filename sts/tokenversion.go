package sts

import (
	"context"
	"errors"

	"github.com/warden-iam/warden"
)

// GlobalRegion is the Region requests to STS's global endpoint
// (sts.amazonaws.com) are signed for. Warden has one endpoint for all
// Regions, so a request signed for it (or for no Region) counts as one to
// the global endpoint.
const GlobalRegion = "us-east-1"

// optInRegions are the AWS Regions that are disabled until an account
// enables them; version 1 tokens of the global endpoint do not work there.
var optInRegions = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true, "ap-southeast-3": true,
	"ap-southeast-4": true, "ap-southeast-5": true, "ap-southeast-6": true, "ap-southeast-7": true,
	"ca-west-1": true, "eu-central-2": true, "eu-south-1": true, "eu-south-2": true, "il-central-1": true,
	"me-central-1": true, "me-south-1": true, "mx-central-1": true,
}

// OptInRegion reports whether region is one that AWS accounts must enable.
func OptInRegion(region string) bool { return optInRegions[region] }

// defaultRegionsOnly decides the version of a new session's token: the
// global endpoint issues version 1 tokens (valid only in the Regions enabled
// by default) unless the account chose version 2 with
// SetSecurityTokenServicePreferences; Regional endpoints always issue
// version 2.
func defaultRegionsOnly(ctx context.Context, tx warden.Tx, sess *warden.Session) (bool, error) {
	if sess.IssueRegion != "" && sess.IssueRegion != GlobalRegion {
		return false, nil
	}
	a, err := warden.Load[warden.AccountSettings](ctx, tx, sess.Account, sess.Account)
	if errors.Is(err, warden.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return a.TokenVersion() == 1, nil
}

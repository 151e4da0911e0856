package iam

import "maps"

// operations is the table of IAM actions Warden implements, merged from one
// table per area so that each area's file registers its own.
func (s *Service) operations() map[string]operation {
	all := map[string]operation{}
	for _, table := range []map[string]operation{
		s.coreOperations(),
		s.roleOperations(),
		s.mfaOperations(),
		s.simulatorOperations(),
		s.accountOperations(),
		s.serviceAccessOperations(),
		s.oidcOperations(),
		s.samlOperations(),
		s.outboundOperations(),
		s.credentialReportOperations(),
		s.accessAdvisorOperations(),
		s.credentialOperations(),
		s.settingsOperations(),
		s.delegationOperations(),
	} {
		maps.Copy(all, table)
	}
	return all
}

// coreOperations are users, groups, policies, keys, passwords and the account.
func (s *Service) coreOperations() map[string]operation {
	return map[string]operation{
		"CreateUser":                    op(s.createUser),
		"GetUser":                       op(s.getUser),
		"UpdateUser":                    noOutput(s.updateUser),
		"DeleteUser":                    noOutput(s.deleteUser),
		"ListUsers":                     op(s.listUsers),
		"TagUser":                       noOutput(s.tagUser),
		"UntagUser":                     noOutput(s.untagUser),
		"ListUserTags":                  op(s.listUserTags),
		"PutUserPermissionsBoundary":    noOutput(s.putUserPermissionsBoundary),
		"DeleteUserPermissionsBoundary": noOutput(s.deleteUserPermissionsBoundary),

		"CreateGroup":         op(s.createGroup),
		"GetGroup":            op(s.getGroup),
		"UpdateGroup":         noOutput(s.updateGroup),
		"DeleteGroup":         noOutput(s.deleteGroup),
		"ListGroups":          op(s.listGroups),
		"AddUserToGroup":      noOutput(s.addUserToGroup),
		"RemoveUserFromGroup": noOutput(s.removeUserFromGroup),
		"ListGroupsForUser":   op(s.listGroupsForUser),

		"CreatePolicy":              op(s.createPolicy),
		"GetPolicy":                 op(s.getPolicy),
		"DeletePolicy":              noOutput(s.deletePolicy),
		"ListPolicies":              op(s.listPolicies),
		"CreatePolicyVersion":       op(s.createPolicyVersion),
		"GetPolicyVersion":          op(s.getPolicyVersion),
		"ListPolicyVersions":        op(s.listPolicyVersions),
		"DeletePolicyVersion":       noOutput(s.deletePolicyVersion),
		"SetDefaultPolicyVersion":   noOutput(s.setDefaultPolicyVersion),
		"AttachUserPolicy":          noOutput(s.attachUserPolicy),
		"DetachUserPolicy":          noOutput(s.detachUserPolicy),
		"AttachGroupPolicy":         noOutput(s.attachGroupPolicy),
		"DetachGroupPolicy":         noOutput(s.detachGroupPolicy),
		"ListAttachedUserPolicies":  op(s.listAttachedUserPolicies),
		"ListAttachedGroupPolicies": op(s.listAttachedGroupPolicies),
		"ListEntitiesForPolicy":     op(s.listEntitiesForPolicy),
		"TagPolicy":                 noOutput(s.tagPolicy),
		"UntagPolicy":               noOutput(s.untagPolicy),
		"ListPolicyTags":            op(s.listPolicyTags),

		"PutUserPolicy":     noOutput(s.putUserPolicy),
		"GetUserPolicy":     op(s.getUserPolicy),
		"DeleteUserPolicy":  noOutput(s.deleteUserPolicy),
		"ListUserPolicies":  op(s.listUserPolicies),
		"PutGroupPolicy":    noOutput(s.putGroupPolicy),
		"GetGroupPolicy":    op(s.getGroupPolicy),
		"DeleteGroupPolicy": noOutput(s.deleteGroupPolicy),
		"ListGroupPolicies": op(s.listGroupPolicies),

		"CreateAccessKey":      op(s.createAccessKey),
		"ListAccessKeys":       op(s.listAccessKeys),
		"UpdateAccessKey":      noOutput(s.updateAccessKey),
		"DeleteAccessKey":      noOutput(s.deleteAccessKey),
		"GetAccessKeyLastUsed": op(s.getAccessKeyLastUsed),

		"CreateLoginProfile":          op(s.createLoginProfile),
		"GetLoginProfile":             op(s.getLoginProfile),
		"UpdateLoginProfile":          noOutput(s.updateLoginProfile),
		"DeleteLoginProfile":          noOutput(s.deleteLoginProfile),
		"ChangePassword":              noOutput(s.changePassword),
		"GetAccountPasswordPolicy":    op(s.getAccountPasswordPolicy),
		"UpdateAccountPasswordPolicy": noOutput(s.updateAccountPasswordPolicy),
		"DeleteAccountPasswordPolicy": noOutput(s.deleteAccountPasswordPolicy),

		"CreateAccountAlias":             noOutput(s.createAccountAlias),
		"DeleteAccountAlias":             noOutput(s.deleteAccountAlias),
		"ListAccountAliases":             op(s.listAccountAliases),
		"GetAccountSummary":              op(s.getAccountSummary),
		"GetAccountAuthorizationDetails": op(s.getAccountAuthorizationDetails),
	}
}

package iam

// roleOperations registers roles, instance profiles and service-linked roles.
func (s *Service) roleOperations() map[string]operation {
	return map[string]operation{
		"CreateRole":             op(s.createRole),
		"GetRole":                op(s.getRole),
		"UpdateRole":             op(s.updateRole),
		"UpdateRoleDescription":  op(s.updateRoleDescription),
		"DeleteRole":             noOutput(s.deleteRole),
		"ListRoles":              op(s.listRoles),
		"UpdateAssumeRolePolicy": noOutput(s.updateAssumeRolePolicy),
		"TagRole":                noOutput(s.tagRole),
		"UntagRole":              noOutput(s.untagRole),
		"ListRoleTags":           op(s.listRoleTags),

		"PutRolePolicy":                 noOutput(s.putRolePolicy),
		"GetRolePolicy":                 op(s.getRolePolicy),
		"DeleteRolePolicy":              noOutput(s.deleteRolePolicy),
		"ListRolePolicies":              op(s.listRolePolicies),
		"AttachRolePolicy":              noOutput(s.attachRolePolicy),
		"DetachRolePolicy":              noOutput(s.detachRolePolicy),
		"ListAttachedRolePolicies":      op(s.listAttachedRolePolicies),
		"PutRolePermissionsBoundary":    noOutput(s.putRolePermissionsBoundary),
		"DeleteRolePermissionsBoundary": noOutput(s.deleteRolePermissionsBoundary),

		"CreateInstanceProfile":         op(s.createInstanceProfile),
		"GetInstanceProfile":            op(s.getInstanceProfile),
		"DeleteInstanceProfile":         noOutput(s.deleteInstanceProfile),
		"ListInstanceProfiles":          op(s.listInstanceProfiles),
		"ListInstanceProfilesForRole":   op(s.listInstanceProfilesForRole),
		"AddRoleToInstanceProfile":      noOutput(s.addRoleToInstanceProfile),
		"RemoveRoleFromInstanceProfile": noOutput(s.removeRoleFromInstanceProfile),
		"TagInstanceProfile":            noOutput(s.tagInstanceProfile),
		"UntagInstanceProfile":          noOutput(s.untagInstanceProfile),
		"ListInstanceProfileTags":       op(s.listInstanceProfileTags),

		"CreateServiceLinkedRole":            op(s.createServiceLinkedRole),
		"DeleteServiceLinkedRole":            op(s.deleteServiceLinkedRole),
		"GetServiceLinkedRoleDeletionStatus": op(s.getServiceLinkedRoleDeletionStatus),
	}
}

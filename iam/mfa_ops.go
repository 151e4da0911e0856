package iam

// mfaOperations registers this area's operations: virtual MFA devices.
func (s *Service) mfaOperations() map[string]operation {
	return map[string]operation{
		"CreateVirtualMFADevice": op(s.createVirtualMFADevice),
		"EnableMFADevice":        noOutput(s.enableMFADevice),
		"DeactivateMFADevice":    noOutput(s.deactivateMFADevice),
		"ResyncMFADevice":        noOutput(s.resyncMFADevice),
		"DeleteVirtualMFADevice": noOutput(s.deleteVirtualMFADevice),
		"ListMFADevices":         op(s.listMFADevices),
		"ListVirtualMFADevices":  op(s.listVirtualMFADevices),
		"GetMFADevice":           op(s.getMFADevice),
		"TagMFADevice":           noOutput(s.tagMFADevice),
		"UntagMFADevice":         noOutput(s.untagMFADevice),
		"ListMFADeviceTags":      op(s.listMFADeviceTags),
	}
}

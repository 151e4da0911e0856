package iam

// simulatorOperations registers this area's operations.
func (s *Service) simulatorOperations() map[string]operation {
	return map[string]operation{
		"SimulatePrincipalPolicy":          op(s.simulatePrincipalPolicy),
		"SimulateCustomPolicy":             op(s.simulateCustomPolicy),
		"GetContextKeysForPrincipalPolicy": op(s.getContextKeysForPrincipalPolicy),
		"GetContextKeysForCustomPolicy":    op(s.getContextKeysForCustomPolicy),
	}
}

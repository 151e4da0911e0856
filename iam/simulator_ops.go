package iam

// simulatorOperations registers this area's operations.
func (s *Service) simulatorOperations() map[string]operation {
	return nil
}

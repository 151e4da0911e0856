package iam

// accountOperations registers this area's operations.
func (s *Service) accountOperations() map[string]operation {
	return nil
}

package iam

// mfaOperations registers this area's operations.
func (s *Service) mfaOperations() map[string]operation {
	return nil
}

package iam

// roleOperations registers this area's operations.
func (s *Service) roleOperations() map[string]operation {
	return nil
}

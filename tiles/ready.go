package tiles

// Synced reports whether the layer registry is held in memory: the change
// listener is connected and has read the registry since (see registry).
func (s *Service) Synced() bool {
	s.reg.mu.RLock()
	defer s.reg.mu.RUnlock()
	return s.reg.synced
}

package account

import (
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// CountPasswordChecks makes s count every password check (including the
// dummy one for unknown accounts) and hold each for delay, so that
// concurrent attempts overlap; it returns the counter.
func (s *Service) CountPasswordChecks(delay time.Duration) *atomic.Int64 {
	var n atomic.Int64
	s.compare = func(hash, password []byte) error {
		n.Add(1)
		time.Sleep(delay)
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	return &n
}

package verify_test

import (
	"testing"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/internal/policytest"
)

// The Service's promises on a MemoryStore that two instances (two Guards,
// two Services) share.
func TestServicePolicyMemoryStore(t *testing.T) {
	policytest.Run(t, func(t *testing.T) (verify.Store, verify.Store) {
		s := verify.NewMemoryStore()
		return s, s
	})
}

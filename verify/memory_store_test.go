package verify_test

import (
	"testing"

	"github.com/otpkit/otpkit/verify"
	"github.com/otpkit/otpkit/verify/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) verify.Store { return verify.NewMemoryStore() })
}

package verify

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/otpkit/otpkit"
)

// RefStore is the part of a Store that keeps the Service's refs: what a Ref
// stands for (which provider sent which verification to whom), for the
// verification's lifetime, so that a Check on any app instance sharing the
// store finds it. A record holds no code, in clear or otherwise.
//
// A Guard used alone never calls these methods. As with the rest of Store,
// now is the Guard's clock: a ref saved at now with ttl is found by LoadRef
// until now+ttl and never after; a store may drop it then (a Redis key TTL).
type RefStore interface {
	// SaveRef keeps r under ref until now+ttl, replacing what ref held.
	SaveRef(ctx context.Context, now time.Time, ref string, r RefRecord, ttl time.Duration) error
	// LoadRef returns what ref holds at now; an error satisfying
	// otpkit.ErrNotFound when it holds nothing (never saved, expired,
	// deleted).
	LoadRef(ctx context.Context, now time.Time, ref string) (RefRecord, error)
	// DeleteRef forgets ref; deleting a ref that holds nothing is no error.
	DeleteRef(ctx context.Context, ref string) error
}

// RefRecord is what a Service keeps for one Ref.
type RefRecord struct {
	// Provider is the API that sent the code.
	Provider otpkit.Provider `json:"p"`
	// ID is the provider's id of the verification: the Tryvox verification
	// id, the dotdigital requestId, the LOX24 verify code id. For the
	// Service's own bookkeeping records it is another ref.
	ID string `json:"i,omitempty"`
	// Recipient is the number the code went to, in E.164 with "+".
	Recipient string `json:"r,omitempty"`
	// Channel is the channel asked of the provider.
	Channel otpkit.Channel `json:"c,omitempty"`
	// CodeLength is the number of digits of the code sent, so that a code
	// of another length is refused without spending an attempt.
	CodeLength int `json:"l,omitempty"`
}

// refBytes is the randomness of a ref: 128 bits, so that refs cannot be
// guessed or enumerated.
const refBytes = 16

// refLen is the length of a ref: refBytes in unpadded base64url.
var refLen = base64.RawURLEncoding.EncodedLen(refBytes)

// newRef returns a new random ref from crypto/rand: it says nothing about the
// recipient, the code or the provider.
func newRef() string {
	b := make([]byte, refBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormedRef reports whether ref can be one newRef made. Anything else is
// made up, and is answered ErrNotFound without asking the store.
func wellFormedRef(ref string) bool {
	if len(ref) != refLen {
		return false
	}
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

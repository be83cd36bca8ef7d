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
	// ClaimRef saves r under ref until now+ttl only when ref holds nothing
	// at now, and then returns (r, true). When ref holds a live record it
	// changes nothing and returns that record and false. The Service keeps
	// its idempotency keys with it: of two Sends with one key on two
	// instances, exactly one claims it.
	ClaimRef(ctx context.Context, now time.Time, ref string, r RefRecord, ttl time.Duration) (RefRecord, bool, error)
	// ReserveCheck reserves one check of a provider's code, in one atomic
	// step, in this order: no live record under ref: otpkit.ErrNotFound;
	// the record's Recipient has spent its failure budget (c.Failures):
	// *LimitError RuleFailures (RetryAfter counted from now); the record's
	// attempts are used (Attempts >= c.MaxAttempts): otpkit.ErrMaxAttempts.
	// Otherwise it counts one attempt of the record and one failure of its
	// Recipient at now (a wrong code until settled otherwise), and returns
	// the record with Attempts counting this one. The record is returned
	// with every refusal it was found for, too.
	//
	// It is what makes N concurrent wrong checks reach the providers at
	// most c.Failures.Count times within its window, on any number of
	// instances: the budget is spent before the provider is asked, not
	// after it answered.
	ReserveCheck(ctx context.Context, now time.Time, ref string, c CheckRules) (RefRecord, error)
	// SettleCheck settles the check that ReserveCheck reserved at reserved
	// for ref, whose record was r, as outcome says (see Settlement). A wrong
	// code needs no settlement: the attempt and the failure stand. Settling
	// what is no longer there (the ref expired or was deleted, the failure
	// left its window or was unlocked) is no error.
	SettleCheck(ctx context.Context, reserved time.Time, ref string, r RefRecord, outcome Settlement, c CheckRules) error
}

// Settlement is how a check that ReserveCheck reserved ended.
type Settlement int

const (
	// SettleVerified: the right code. The failure is given back, the ref
	// is used up (deleted), and the code counts as verified in the
	// conversion guard (CheckRules.Conversion; the record's Country and
	// Prefix).
	SettleVerified Settlement = iota + 1
	// SettleUndo: the provider was not asked or did not answer (a provider
	// or transport error). The attempt and the failure are given back.
	SettleUndo
	// SettleGone: the provider no longer knows the code (expired, used,
	// replaced). The failure is given back and the ref deleted.
	SettleGone
	// SettleLocked: the provider locked the code on this wrong code. The
	// failure stands and the ref's attempts are used up (Attempts becomes
	// CheckRules.MaxAttempts), so that later checks answer
	// otpkit.ErrMaxAttempts without asking the provider.
	SettleLocked
)

// RefRecord is what a Service keeps for one Ref.
type RefRecord struct {
	// Provider is the API that sent the code.
	Provider otpkit.Provider `json:"p"`
	// ID is the provider's id of the verification: the Tryvox verification
	// id, the dotdigital requestId, the LOX24 verify code id. For the
	// Service's own bookkeeping records it is another ref.
	ID string `json:"i,omitempty"`
	// Recipient is the Guard's pseudonym of the recipient the code went to
	// (see SendRules): the key of its failure budget, never the number.
	Recipient string `json:"r,omitempty"`
	// Channel is the channel asked of the provider.
	Channel otpkit.Channel `json:"c,omitempty"`
	// CodeLength is the number of digits of the code sent, so that a code
	// of another length is refused without spending an attempt.
	CodeLength int `json:"l,omitempty"`
	// Region is the recipient's region (ISO 3166-1 alpha-2, as ParseNumber
	// gives it), for the events of a Check: conversion per region.
	Region string `json:"g,omitempty"`
	// Country and Prefix are where a verified code counts in the
	// conversion guard (see SendRules): the country, and the pseudonym of
	// the number's prefix.
	Country string `json:"k,omitempty"`
	Prefix  string `json:"q,omitempty"`
	// Attempts is how many checks of the code were reserved and not given
	// back (ReserveCheck, SettleCheck): the store keeps it, so that
	// Limits.MaxAttempts holds whatever provider sent the code.
	Attempts int `json:"a,omitempty"`

	// The fields below are for the Service's idempotency records (see
	// SendRequest.IdempotencyKey); a ref of a code leaves them empty.

	// Fingerprint stands for what the first Send with the key asked (an
	// HMAC of its recipient and channel), so that the key reused for
	// another request is refused.
	Fingerprint string `json:"f,omitempty"`
	// Ref is the ref the first Send returned; empty while it runs.
	Ref string `json:"s,omitempty"`
	// ExpiresAt is the first Send's Sent.ExpiresAt, in Unix nanoseconds of
	// the real clock.
	ExpiresAt int64 `json:"e,omitempty"`
}

// refBytes is the randomness of a ref: 128 bits, so that refs cannot be
// guessed or enumerated.
const refBytes = 16

// refLen is the length of a ref: refBytes in unpadded base64url.
var refLen = base64.RawURLEncoding.EncodedLen(refBytes)

// newRef returns a new random ref from crypto/rand: it says nothing about
// the recipient or the code. One bit of it says whether LOX24 sent the code
// (the Guard checks those, the other providers check their own), so that a
// Check knows which way to go before it reads the store; the other 127 bits
// are random.
func newRef(p otpkit.Provider) string {
	b := make([]byte, refBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	b[0] &^= lox24RefBit
	if p == otpkit.ProviderLOX24 {
		b[0] |= lox24RefBit
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// lox24RefBit is the bit of a ref's first byte that marks a LOX24 ref: the
// lowest bit of its first base64url character.
const lox24RefBit = 1 << 2

// lox24Ref reports whether a well-formed ref was made for a LOX24 code.
func lox24Ref(ref string) bool {
	c := ref[0]
	var v byte
	switch {
	case 'A' <= c && c <= 'Z':
		v = c - 'A'
	case 'a' <= c && c <= 'z':
		v = c - 'a' + 26
	case '0' <= c && c <= '9':
		v = c - '0' + 52
	case c == '-':
		v = 62
	default:
		v = 63
	}
	return v&1 == 1
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

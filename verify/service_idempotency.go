package verify

import (
	"context"
	"time"

	"github.com/otpkit/otpkit"
)

// idempotency is a Send's claim of its IdempotencyKey: where the store keeps
// it and what the first Send asked. The zero value (no key) does nothing.
type idempotency struct {
	s           *Service
	key         string // the record's name in the store; "" without a key
	fingerprint string
}

// claimIdempotency claims req's IdempotencyKey for this Send. When another
// Send claimed it first, replay is that Send's *Sent, or the error says why
// nothing is sent (ErrSendInProgress, a key reused for another request).
func (s *Service) claimIdempotency(ctx context.Context, req *SendRequest) (idem idempotency, replay *Sent, err error) {
	if req.IdempotencyKey == "" {
		return idempotency{}, nil, nil
	}
	idem = idempotency{
		s: s,
		// Pseudonyms, so that neither the key nor the number is kept in
		// clear; the key's record is named so that no ref can be it.
		key:         "idem:" + s.guard.pseudonym(pseudoOther, "idempotency key\x00"+req.IdempotencyKey),
		fingerprint: s.guard.pseudonym(pseudoOther, "send\x00"+req.To+"\x00"+string(req.Channel)),
	}
	now, err := s.guard.now()
	if err != nil {
		return idempotency{}, nil, err
	}
	held, claimed, err := s.guard.store.ClaimRef(ctx, now, idem.key, RefRecord{Fingerprint: idem.fingerprint}, s.guard.limits.CodeTTL)
	switch {
	case err != nil:
		return idempotency{}, nil, storeFailed(err)
	case claimed:
		return idem, nil, nil
	case held.Fingerprint != idem.fingerprint:
		return idempotency{}, nil, &otpkit.ValidationError{Field: "idempotency_key",
			Reason: "was used for another request (another recipient or channel); use a new key for each request"}
	case held.Ref == "":
		return idempotency{}, nil, ErrSendInProgress
	}
	return idempotency{}, &Sent{Ref: held.Ref, Provider: held.Provider, Channel: held.Channel,
		ExpiresAt: time.Unix(0, held.ExpiresAt), ProviderID: held.ID}, nil
}

// complete records the Send's outcome under the key, for the Sends that
// repeat it. A store failure leaves the key claimed: repeats then answer
// ErrSendInProgress, never a second message.
func (i idempotency) complete(ctx context.Context, sent *Sent) {
	if i.key == "" {
		return
	}
	now, err := i.s.guard.now()
	if err != nil {
		return
	}
	rec := RefRecord{Provider: sent.Provider, ID: sent.ProviderID, Channel: sent.Channel,
		Fingerprint: i.fingerprint, Ref: sent.Ref, ExpiresAt: sent.ExpiresAt.UnixNano()}
	err = i.s.guard.store.SaveRef(context.WithoutCancel(ctx), now, i.key, rec, i.s.guard.limits.CodeTTL)
	i.s.observeStore(ctx, OpSend, storeFailed(err))
}

// release frees the key of a Send that sent nothing, so that the client may
// try again with it. A store failure leaves it claimed until Limits.CodeTTL.
func (i idempotency) release(ctx context.Context) {
	if i.key == "" {
		return
	}
	_ = i.s.guard.store.DeleteRef(context.WithoutCancel(ctx), i.key)
}

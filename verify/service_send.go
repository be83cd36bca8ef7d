package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/otpkit/otpkit"
)

// maxIdempotencyKey is the longest SendRequest.IdempotencyKey (stripe's
// limit too).
const maxIdempotencyKey = 255

// Send validates req, applies the Guard's send rules once (a refused send is
// a *LimitError and reaches no provider), then sends through the providers
// in order, skipping those that cannot serve req.Channel.
//
// It fails over to the next provider only when the answer proves that
// nothing went out: otpkit.ErrDeliveryFailed, ErrServer (5xx),
// ErrRateLimited, ErrUnauthorized, ErrForbidden, ErrInsufficientFunds,
// ErrMissingCredentials, or a request that never left (otpkit.ErrNotSent:
// refused connection, DNS). It never fails over after a timeout or a reset
// once the request was written (otpkit.ErrUnavailable without ErrNotSent:
// the code may be on its way, and a "resend" goes through the send rules),
// nor on otpkit.ErrInvalidRequest. When a provider sent after others failed
// over, Sent.Failovers lists their errors; when none sent, the error is a
// *SendError (errors.Is finds each provider's error) and the send is taken
// back from every send rule's count, so that an outage of every provider
// locks nobody out. A send that may have gone out stays counted.
//
// For LOX24 the Guard makes the code, so its ref is kept before the request:
// when LOX24's answer is lost after the request may have left, the
// *SendError's MaybeSent holds a ref that verifies the code if it arrives.
//
// With req.IdempotencyKey, a repeated Send sends nothing (see SendRequest).
// A store failure is an error satisfying ErrStore; when it comes after a
// provider sent, its text says that a message was sent.
//
// With WithObserver, a Send is one operation (a span, with the provider
// calls as children when the Client's transport is instrumented): a
// failover event per provider that failed over, and one final event.
func (s *Service) Send(ctx context.Context, req *SendRequest) (*Sent, error) {
	ctx = s.guard.start(ctx, OpSend)
	var ev Event
	sent, err := s.send(ctx, req, &ev)
	s.guard.finishSend(ctx, ev, err)
	return sent, err
}

// send is Send; ev gets what the final event says (the provider whose call
// ended the send, its channel and latency).
func (s *Service) send(ctx context.Context, req *SendRequest, ev *Event) (*Sent, error) {
	if err := checkSendRequest(req); err != nil {
		return nil, err
	}
	ev.Channel = req.Channel
	n, err := ParseNumber(req.To, req.Region)
	if err != nil {
		var ve *otpkit.ValidationError
		if errors.As(err, &ve) && ve.Field == "number" {
			return nil, &otpkit.ValidationError{Field: "To", Reason: ve.Reason}
		}
		return nil, err
	}
	ev.Region = n.Region
	req = &SendRequest{To: n.E164, Channel: req.Channel, IP: req.IP, Locale: req.Locale,
		IdempotencyKey: req.IdempotencyKey, Region: req.Region}
	type step struct {
		p  Provider
		ch otpkit.Channel
	}
	var plan []step
	served := false
	var refusal Rule
	for _, p := range s.providers {
		ch, ok := p.serves(req.Channel)
		if !ok {
			continue
		}
		served = true
		// The rules on the number, with the channel this provider would
		// send on: with no Channel asked, a LOX24 route that starts with
		// voice reaches a fixed line that an sms cannot.
		if rule, refused := s.guard.limits.numberRule(n, ch); refused {
			if refusal == "" {
				refusal = rule
			}
			if !s.guard.limits.Monitor {
				continue
			}
		}
		plan = append(plan, step{p, ch})
	}
	if !served {
		return nil, &otpkit.ValidationError{Field: "Channel", Reason: "is served by no provider of this Service"}
	}
	if len(plan) == 0 {
		return nil, &LimitError{Rule: refusal} // never allowed: RetryAfter 0
	}
	if refusal != "" && s.guard.limits.Monitor {
		s.guard.emit(ctx, Event{Kind: EventWouldRefuse, Op: OpSend, Channel: req.Channel, Region: n.Region, Rule: refusal})
	}
	idem, replay, err := s.claimIdempotency(ctx, req)
	if replay != nil || err != nil {
		if replay != nil {
			ev.Provider, ev.Channel = replay.Provider, replay.Channel
		}
		s.observeStore(ctx, OpSend, err)
		return replay, err
	}
	ticket, err := s.guard.allowSend(ctx, req.To, req.IP)
	if err != nil {
		s.observeStore(ctx, OpSend, err)
		idem.release(ctx)
		return nil, err
	}
	var failovers []error
	for _, st := range plan {
		ref := newRef(st.p.Name())
		t := s.guard.stopwatch()
		o := outgoing{to: req.To, ch: st.ch, locale: req.Locale, ref: ref, country: ticket.rules.Country,
			prefix: ticket.rules.Prefix, region: ev.Region}
		ps, err := st.p.send(ctx, s, o)
		latency := lap(t)
		if err != nil {
			err = fmt.Errorf("verify: %s: %w", st.p.Name(), err)
			if failsOver(ctx, err) {
				s.guard.emit(ctx, Event{Kind: EventFailover, Op: OpSend, Provider: st.p.Name(), Channel: st.ch, Latency: latency, Err: err})
				failovers = append(failovers, err)
				continue
			}
			ev.Provider, ev.Channel, ev.Latency = st.p.Name(), st.ch, latency
			s.observeStore(ctx, OpSend, err)
			return nil, s.sendFailed(ctx, ticket, idem, failovers, err, st.p.Name(), st.ch, ref, ps)
		}
		ev.Provider, ev.Channel, ev.Latency = st.p.Name(), st.ch, latency
		sent, err := s.keep(ctx, st.p.Name(), o, ps)
		if err != nil {
			s.observeStore(ctx, OpSend, err)
			return nil, err // the key stays claimed: a message went out
		}
		sent.Failovers = failovers
		idem.complete(ctx, sent)
		return sent, nil
	}
	idem.release(ctx)
	// A refund the store could not make leaves the send counted: stricter,
	// never looser. The answer stays what the providers said.
	s.observeStore(ctx, OpSend, s.guard.refundSend(ctx, ticket))
	return nil, &SendError{Failovers: failovers}
}

// observeStore reports err as a store error event when it is one.
func (s *Service) observeStore(ctx context.Context, op Op, err error) {
	if err != nil && s.guard.observing() && errors.Is(err, ErrStore) {
		s.guard.emit(ctx, Event{Kind: EventStoreError, Op: op, Err: err})
	}
}

// sendFailed is Send's answer when a provider's error ended the send without
// failover: the send stays counted and the idempotency key claimed, unless
// the error proves nothing went out; a LOX24 code that may be on its way is
// returned as MaybeSent.
func (s *Service) sendFailed(ctx context.Context, t sendTicket, idem idempotency, failovers []error, err error,
	p otpkit.Provider, ch otpkit.Channel, ref string, ps providerSent) error {
	switch {
	case ps.saved && errors.Is(err, otpkit.ErrUnavailable) && !errors.Is(err, otpkit.ErrNotSent):
		maybe := &Sent{Ref: ref, Provider: p, Channel: ch, ExpiresAt: s.expiresAt(ps.lifetime)}
		idem.complete(ctx, maybe)
		return &SendError{Failovers: failovers, Err: err, MaybeSent: maybe}
	case ps.unsent || errors.Is(err, otpkit.ErrNotSent) && ctx.Err() == nil:
		// Refused before it left (invalid input the client caught, a
		// store failure before LOX24's request): nothing went out here,
		// and the providers before failed over.
		idem.release(ctx)
		s.observeStore(ctx, OpSend, s.guard.refundSend(ctx, t))
	}
	if len(failovers) > 0 {
		return &SendError{Failovers: failovers, Err: err}
	}
	return err
}

// checkSendRequest refuses what no provider should get (To is read by
// ParseNumber after it).
func checkSendRequest(req *SendRequest) error {
	if req == nil {
		return &otpkit.ValidationError{Field: "request", Reason: "is nil"}
	}
	switch req.Channel {
	case "", otpkit.ChannelSMS, otpkit.ChannelVoice, otpkit.ChannelWhatsApp, otpkit.ChannelTelegram:
	case otpkit.ChannelEmail:
		return &otpkit.ValidationError{Field: "Channel", Reason: "email is not served: To is a phone number"}
	default:
		return &otpkit.ValidationError{Field: "Channel", Reason: "must be sms, voice, whatsapp, telegram or empty"}
	}
	if len(req.Locale) > 35 || strings.IndexFunc(req.Locale, func(r rune) bool {
		return r > unicode.MaxASCII || !(r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}) >= 0 {
		return &otpkit.ValidationError{Field: "Locale", Reason: "must be a language tag such as en or de-AT"}
	}
	if len(req.IdempotencyKey) > maxIdempotencyKey {
		return &otpkit.ValidationError{Field: "idempotency_key", Reason: "is longer than 255 bytes"}
	}
	return nil
}

// refTTL is how long a ref of a code lives by the Guard's clock: its
// Limits.CodeTTL, or the provider's lifetime (plus refGrace) when that is
// shorter, so that the stricter expiry wins.
func (s *Service) refTTL(lifetime time.Duration) time.Duration {
	return min(s.guard.limits.CodeTTL, lifetime+refGrace)
}

// expiresAt is Sent.ExpiresAt of a code the provider keeps for lifetime:
// the earlier of that and Limits.CodeTTL, by the real clock.
func (s *Service) expiresAt(lifetime time.Duration) time.Time {
	return time.Now().Add(min(lifetime, s.guard.limits.CodeTTL))
}

// keep saves the ref of a code a provider sent (unless the provider saved
// it before its request, as LOX24 does). The code is out: a failure here is
// returned, never failed over.
func (s *Service) keep(ctx context.Context, p otpkit.Provider, o outgoing, ps providerSent) (*Sent, error) {
	ref, ch := o.ref, o.ch
	sent := &Sent{Ref: ref, Provider: p, Channel: ch, ExpiresAt: s.expiresAt(ps.lifetime), ProviderID: ps.id}
	if ps.saved {
		return sent, nil
	}
	now, err := s.guard.now()
	if err != nil {
		return nil, storeFailedAfterSend(p, err)
	}
	rec := RefRecord{Provider: p, ID: ps.id, Recipient: ps.subject, Channel: ch, CodeLength: ps.codeLength,
		Country: o.country, Prefix: o.prefix, Region: o.region}
	if err := s.guard.store.SaveRef(ctx, now, ref, rec, s.refTTL(ps.lifetime)); err != nil {
		return nil, storeFailedAfterSend(p, err)
	}
	return sent, nil
}

// saveLOX24Ref keeps the ref of a LOX24 code before its request goes out, so
// that a code whose answer is lost can still be checked, and retires the
// recipient's previous LOX24 ref (see retireLOX24Ref).
func (s *Service) saveLOX24Ref(ctx context.Context, subject string, o outgoing, codeLength int) error {
	ref := o.ref
	if err := s.retireLOX24Ref(ctx, subject); err != nil {
		return err
	}
	now, err := s.guard.now()
	if err != nil {
		return err
	}
	ttl := s.guard.limits.CodeTTL + refGrace // the Guard's code expires first, and says so
	rec := RefRecord{Provider: otpkit.ProviderLOX24, Recipient: subject, Channel: o.ch, CodeLength: codeLength,
		Country: o.country, Prefix: o.prefix, Region: o.region}
	if err := s.guard.store.SaveRef(ctx, now, ref, rec, ttl); err != nil {
		return storeFailed(err)
	}
	return storeFailed(s.guard.store.SaveRef(ctx, now, s.latestKey(subject), RefRecord{Provider: otpkit.ProviderLOX24, ID: ref}, ttl))
}

// retireLOX24Ref deletes the recipient's LOX24 ref, if any: the Guard's
// Issue has just replaced the code it stood for (whether or not LOX24 then
// sends the new one), so it must answer ErrNotFound, not "wrong code", and
// never verify the new code. (Sends to one recipient are apart by the
// Guard's SendInterval; two at once with the rule off may both keep their
// refs, each then checking the recipient's latest code.)
func (s *Service) retireLOX24Ref(ctx context.Context, subject string) error {
	now, err := s.guard.now()
	if err != nil {
		return err
	}
	key := s.latestKey(subject)
	prev, err := s.guard.store.LoadRef(ctx, now, key)
	switch {
	case errors.Is(err, otpkit.ErrNotFound):
		return nil
	case err != nil:
		return storeFailed(err)
	}
	if err := s.guard.store.DeleteRef(ctx, prev.ID); err != nil {
		return storeFailed(err)
	}
	return storeFailed(s.guard.store.DeleteRef(ctx, key))
}

// latestKey is where the recipient's latest LOX24 ref is kept: a key that no
// ref can be (refs are base64url without ":"), named by the recipient's
// pseudonym, so that it reveals no number.
func (s *Service) latestKey(subject string) string { return "lox24-latest:" + subject }

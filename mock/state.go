package mock

import (
	"fmt"
	"time"

	"github.com/otpkit/otpkit"
)

// The Go controls. Each is safe to call while requests are being served.

// Now returns the mock's current time: the WithClock start plus everything
// Advance added, or, without WithClock, real time plus everything Advance
// added.
func (h *Handler) Now() time.Time { return h.clock.now() }

// Advance moves the mock's clock forward by d and brings the state up to
// the new time: LOX24 steps due by then are delivered, verifications expire,
// rate-limit windows and IP blocks run out, stale state is pruned, and LOX24
// webhook deliveries that fall due are sent, each when the clock reads its
// time. A d of zero or less does nothing (the clock never runs backwards).
func (h *Handler) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	if h.whSend.active.Load() {
		h.advanceDelivering(d) // stops at each webhook delivery's time
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clock.advance(d)
	h.tickLocked(h.clock.now())
}

// Messages returns the outbox, oldest first: every code the mock delivered,
// up to the last WithMaxMessages. A LOX24 code appears when its delivery
// step completes on the mock's clock (1 s after the create for a code
// delivered by its first step), a Tryvox or dotdigital code at once.
func (h *Handler) Messages() []Message {
	h.lockedNow()
	defer h.mu.Unlock()
	return h.st.outbox.snapshot()
}

// MessagesTo returns the outbox entries for recipient, oldest first.
// Recipients compare without a leading "+" (dotdigital reports
// international numbers without it) and, for email addresses, in any case.
func (h *Handler) MessagesTo(recipient string) []Message {
	h.lockedNow()
	defer h.mu.Unlock()
	return h.st.outbox.to(recipient)
}

// LastMessage returns the newest outbox entry for recipient (compared as in
// MessagesTo), and false when there is none.
func (h *Handler) LastMessage(recipient string) (Message, bool) {
	h.lockedNow()
	defer h.mu.Unlock()
	return h.st.outbox.lastTo(recipient)
}

// LastCode returns the code of the newest message to recipient: what the
// user would type. It matches by recipient alone (compared as in
// MessagesTo), across all three providers and every flow: after two starts
// to one number it is the second code, after a Tryvox start and a LOX24
// create to one number it may be either. It is false when nothing was
// delivered to recipient yet (LOX24 delivers 1 s after the create on the
// mock's clock, see Messages). To get the code of one flow, use CodeFor
// with the id the call returned.
func (h *Handler) LastCode(recipient string) (string, bool) {
	m, ok := h.LastMessage(recipient)
	return m.Code, ok
}

// Requests returns the request log, oldest first: every provider request
// (method, path, provider, status, time), up to the last WithMaxRequests.
// Requests to /_mock/ are not logged.
func (h *Handler) Requests() []Request {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.log.snapshot()
}

// SetOutcome scripts what happens when a code is delivered to recipient
// over ch, from now on (a LOX24 step reads it when the step starts).
// LOX24: OutcomeFailed fails the step (telegram after its timeout_sec) and
// falls back to the next; OutcomeError ends the verify code with status 100.
// Tryvox: OutcomeFailed and OutcomeError make a start on that channel answer
// 502 DELIVERY_FAILED and create nothing. dotdigital always delivers.
// OutcomeDelivered restores the default. Recipients compare as in
// MessagesTo. It panics on an Outcome that is not one of the constants.
//
// At most 10,000 outcomes can be scripted at once, for recipients of at
// most 254 bytes; SetOutcome panics beyond that.
func (h *Handler) SetOutcome(recipient string, ch otpkit.Channel, o Outcome) {
	if o < OutcomeDelivered || o > OutcomeError {
		panic(fmt.Sprintf("mock: SetOutcome: unknown outcome %d", int(o)))
	}
	if err := h.setOutcome(recipient, ch, o); err != nil {
		panic("mock: SetOutcome: " + err.Error())
	}
}

func (h *Handler) setOutcome(recipient string, ch otpkit.Channel, o Outcome) error {
	k := outcomeKey{normRecipient(recipient), ch}
	h.mu.Lock()
	defer h.mu.Unlock()
	if o == OutcomeDelivered {
		delete(h.st.outcomes, k)
		return nil
	}
	_, exists := h.st.outcomes[k]
	if err := checkScript("outcomes", recipient, ch, "", len(h.st.outcomes), !exists); err != nil {
		return err
	}
	if h.st.outcomes == nil {
		h.st.outcomes = map[outcomeKey]Outcome{}
	}
	h.st.outcomes[k] = o
	return nil
}

func (h *Handler) outcomeLocked(recipient string, ch otpkit.Channel) Outcome {
	if len(h.st.outcomes) == 0 {
		return OutcomeDelivered
	}
	return h.st.outcomes[outcomeKey{normRecipient(recipient), ch}]
}

// SetNumberStatus scripts the dotdigital numberStatus reported for codes
// sent to recipient from now on (default "Unknown"). An empty status
// restores the default. Like SetOutcome it takes at most 10,000 recipients
// of at most 254 bytes, and a status of at most 64 bytes; it panics beyond.
func (h *Handler) SetNumberStatus(recipient, status string) {
	if err := h.setNumberStatus(recipient, status); err != nil {
		panic("mock: SetNumberStatus: " + err.Error())
	}
}

func (h *Handler) setNumberStatus(recipient, status string) error {
	k := normRecipient(recipient)
	h.mu.Lock()
	defer h.mu.Unlock()
	if status == "" {
		delete(h.st.numberStatus, k)
		return nil
	}
	_, exists := h.st.numberStatus[k]
	if err := checkScript("number statuses", recipient, "", status, len(h.st.numberStatus), !exists); err != nil {
		return err
	}
	if h.st.numberStatus == nil {
		h.st.numberStatus = map[string]string{}
	}
	h.st.numberStatus[k] = status
	return nil
}

// SetBalance sets the LOX24 balance to cents and makes it limited (see
// WithBalance). Reset returns it to the configured balance.
func (h *Handler) SetBalance(cents int) {
	h.mu.Lock()
	h.st.balance, h.st.balanceLimited = cents, true
	h.mu.Unlock()
}

// Balance returns the LOX24 balance in cents, after the cost of every
// completed verify code, and whether it is limited at all. Costs are
// tracked even when it is not.
func (h *Handler) Balance() (cents int, limited bool) {
	h.lockedNow()
	defer h.mu.Unlock()
	return h.st.balance, h.st.balanceLimited
}

// SetAccountInactive switches the LOX24 account's "not activated" state
// (403 on every authenticated request) on or off.
func (h *Handler) SetAccountInactive(inactive bool) {
	h.mu.Lock()
	h.st.inactive = inactive
	h.mu.Unlock()
}

// Reset forgets everything the mock did and was told since it was made:
// verify codes, verifications, the outbox, the request log, faults,
// outcomes, number statuses, rate limits, IP blocks, balance and account
// changes, queued webhook deliveries, the webhook log and URL. The options
// stay, and so does the clock: it never runs backwards.
func (h *Handler) Reset() {
	h.mu.Lock()
	h.st = h.newState()
	h.mu.Unlock()
	h.logMu.Lock()
	h.log.clear()
	h.logMu.Unlock()
	h.ClearFaults()
}

// Stats counts what the mock holds right now, after pruning.
func (h *Handler) Stats() Stats {
	s := func() Stats {
		h.lockedNow()
		defer h.mu.Unlock()
		return Stats{
			LOX24Codes:          len(h.st.lox.codes),
			LOX24Pending:        h.st.lox.due.Len(),
			LOX24IPRecords:      len(h.st.lox.ips),
			TryvoxVerifications: len(h.st.tv.byID),
			TryvoxRateWindows:   len(h.st.tv.windows),
			DotdigitalCodes:     len(h.st.dd.byID),
			Messages:            h.st.outbox.len(),
		}
	}()
	h.logMu.Lock()
	s.Requests = h.log.len()
	h.logMu.Unlock()
	s.Faults = int(h.nFaults.Load())
	return s
}

// pruneLocked forgets state that can no longer matter. Every store prunes
// from the front of a time-ordered queue or heap, so this costs nothing when
// nothing expired and O(log n) per item that did: cheap enough to run on
// every request.
func (h *Handler) pruneLocked(now time.Time) {
	h.st.lox.prune(now)
	h.st.tv.prune(now)
	h.st.dd.prune(now)
	h.st.shrink()
}

// peaks are the most entries each large map held since it was last made,
// for shrinkMap.
type peaks struct {
	loxCodes, loxIPs, tvByID, tvWindows, ddByID int
}

// shrink gives back the memory of maps and heaps that pruning (or
// validation) emptied to a quarter of their peak: a few comparisons when
// nothing did, so every request can afford it.
func (s *state) shrink() {
	p := &s.peaks
	s.lox.codes = shrinkMap(s.lox.codes, &p.loxCodes)
	s.lox.ips = shrinkMap(s.lox.ips, &p.loxIPs)
	s.lox.due = shrinkSlice(s.lox.due)
	s.tv.byID = shrinkMap(s.tv.byID, &p.tvByID)
	s.tv.windows = shrinkMap(s.tv.windows, &p.tvWindows)
	s.dd.byID = shrinkMap(s.dd.byID, &p.ddByID)
	s.dd.expiry = shrinkSlice(s.dd.expiry)
}

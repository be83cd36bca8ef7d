package mock

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// webhookSender sends the queued webhook deliveries. One goroutine at a
// time sends (sending), the others leave the work to it rather than wait:
// a receiver that calls the mock back while its delivery is being sent
// must not wait for that delivery.
type webhookSender struct {
	active  atomic.Bool // a webhook URL was ever set: before that, nothing to do
	sending sync.Mutex  // held while sending; taken with TryLock only
	timeout time.Duration

	once   sync.Once
	client *http.Client
}

func (s *webhookSender) httpClient() *http.Client {
	s.once.Do(func() {
		timeout := s.timeout
		if timeout == 0 {
			timeout = webhookTimeout
		}
		s.client = &http.Client{
			Timeout: timeout,
			// No keep-alive: a delivery leaves no connection (and no
			// goroutine) behind for a test's leak check.
			Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return s.client
}

// DeliverWebhooks brings the state up to the mock's clock and attempts
// every LOX24 webhook delivery due by now, in time order, before it
// returns. Requests, Advance and Webhooks do this themselves; the
// standalone mock also calls it a few times a second, so that with a real
// clock events go out without anyone asking. When another goroutine is
// already sending (this call comes from a receiver calling the mock back),
// it returns at once and that goroutine sends what is due.
func (h *Handler) DeliverWebhooks() {
	if !h.whSend.active.Load() {
		return
	}
	for {
		if !h.whSend.sending.TryLock() {
			return
		}
		h.sendDueWebhooks()
		h.whSend.sending.Unlock()
		// An event queued while this goroutine held the lock by a caller
		// that then gave up: look again now that the lock is free.
		if !h.webhookDue() {
			return
		}
	}
}

// webhookDue reports whether a delivery is due by now.
func (h *Handler) webhookDue() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock.now()
	h.tickLocked(now)
	q := h.st.wh.pending
	return q.Len() > 0 && !q[0].due.After(now)
}

// sendDueWebhooks sends deliveries until none is due, each outside the
// state lock. The caller holds whSend.sending.
func (h *Handler) sendDueWebhooks() {
	for {
		h.mu.Lock()
		now := h.clock.now()
		h.tickLocked(now)
		wh := h.st.wh
		if wh.pending.Len() == 0 || wh.pending[0].due.After(now) {
			h.mu.Unlock()
			return
		}
		ev := heap.Pop(&wh.pending).(*webhookEvent)
		h.mu.Unlock()

		ev.attempts++
		status, errText := h.postWebhook(ev)

		h.mu.Lock()
		if h.st.wh == wh { // else Reset forgot this delivery while it was sent
			wh.log.push(WebhookDelivery{EventID: ev.id, Name: ev.name, URL: ev.url, Attempt: ev.attempts,
				Status: status, Error: errText, Time: now})
			if (status < 200 || status > 299) && ev.attempts < webhookAttempts {
				wh.seq++
				ev.due, ev.seq = now.Add(webhookBackoff[ev.attempts]), wh.seq
				heap.Push(&wh.pending, ev)
			} else {
				wh.doneLocked(ev)
			}
		}
		h.mu.Unlock()
	}
}

// postWebhook makes one attempt: the status answered, or 0 and why there
// was no answer. The error text never holds the URL (its query may hold
// the receiver's token).
func (h *Handler) postWebhook(ev *webhookEvent) (int, string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // Server.Close ends a delivery in flight
		select {
		case <-h.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.url, bytes.NewReader(ev.body(ev.attempts)))
	if err != nil {
		return 0, "the URL cannot be requested"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "otpkit-mock (LOX24 webhooks)")
	client := h.whSend.httpClient()
	resp, err := client.Do(req)
	if err != nil {
		return 0, deliveryError(err, client.Timeout)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, ""
}

func deliveryError(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer within " + timeout.String()
		}
		err = ue.Err
	}
	if errors.Is(err, context.Canceled) {
		return "the mock was closed"
	}
	return err.Error()
}

// advanceDelivering is Advance when webhooks are on: the clock moves from
// one due event to the next, and each delivery is attempted when the clock
// reads its time, so a receiver that calls the mock back sees the state of
// that moment and the log says when each attempt was made.
func (h *Handler) advanceDelivering(d time.Duration) {
	for d > 0 {
		h.mu.Lock()
		now := h.clock.now()
		h.tickLocked(now)
		step := d
		if next, ok := h.nextWebhookTimeLocked(now); ok && next.Sub(now) < step {
			step = next.Sub(now)
		}
		h.clock.advance(step)
		d -= step
		h.tickLocked(h.clock.now())
		h.mu.Unlock()
		h.DeliverWebhooks()
	}
}

// nextWebhookTimeLocked is the earliest time after now at which a delivery
// falls due or a verify code changes (which may make events).
func (h *Handler) nextWebhookTimeLocked(now time.Time) (time.Time, bool) {
	var next time.Time
	ok := false
	if q := h.st.wh.pending; q.Len() > 0 && q[0].due.After(now) {
		next, ok = q[0].due, true
	}
	if due := h.st.lox.due; h.st.wh.url != "" && due.Len() > 0 && due[0].stepEnd.After(now) {
		if t := due[0].stepEnd; !ok || t.Before(next) {
			next, ok = t, true
		}
	}
	return next, ok
}

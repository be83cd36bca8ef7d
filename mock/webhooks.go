package mock

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
)

// LOX24 webhooks: the six verify_code.* events, sent to one URL as they
// happen during delivery, with retries, all on the mock's clock. The events
// are made under the state lock (each with a snapshot of the verify code as
// GET answers it at that moment) and queued; they are sent only outside
// the lock (webhooks_send.go), so a receiver may call the mock back.

// The delivery rules (see the package documentation).
const (
	webhookAPIVersion   = "2022-05-25"
	webhookAttempts     = 4                // attempt_total
	webhookTimeout      = 10 * time.Second // real time: how long a receiver may take to answer
	webhookMaxPending   = 100000           // queued deliveries; beyond, new events are dropped (and logged)
	webhookEventPending = "dropped: too many deliveries pending"
)

// webhookBackoff[n] is the wait after the n-th failed attempt.
var webhookBackoff = [webhookAttempts]time.Duration{0, time.Minute, 5 * time.Minute, 30 * time.Minute}

// WebhookDelivery is one attempt to deliver a LOX24 webhook event: an entry
// of the delivery log (Webhooks). A retry is a new entry with the same
// EventID and the next Attempt.
type WebhookDelivery struct {
	// EventID is the event's id, the same in every attempt.
	EventID string `json:"event_id"`
	// Name is the event name, e.g. "verify_code.success".
	Name string `json:"name"`
	// URL is where the event was sent.
	URL string `json:"url"`
	// Attempt is the attempt_number sent, from 1 to 4; 0 for an event
	// dropped unsent because 100000 deliveries were already queued.
	Attempt int `json:"attempt"`
	// Status is the receiver's answer; 0 when there was none (see Error).
	Status int `json:"status"`
	// Error says why there was no answer (refused connection, timeout); empty
	// when there was one.
	Error string `json:"error,omitempty"`
	// Time is when the attempt was made, on the mock's clock.
	Time time.Time `json:"time"`
}

// Format implements fmt.Formatter: a delivery prints with the values of
// its URL's query redacted, since that is where a receiver's token sits.
func (d WebhookDelivery) Format(f fmt.State, verb rune) {
	type plain WebhookDelivery
	p := plain(d)
	p.URL = redactQuery(p.URL)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue implements slog.LogValuer: a delivery logged with slog shows as
// its %+v form, URL query redacted, with any handler (the JSON handler would
// otherwise encode the URL as it is). GET /_mock/webhooks lists it in full.
func (d WebhookDelivery) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("%+v", d))
}

func redactQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[REDACTED]"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		u.RawQuery = q.Encode()
	}
	u.User = nil
	return u.String()
}

// WithLOX24Webhook makes the mock send LOX24 webhook events to webhookURL
// (an http or https URL, e.g. one with a token query parameter), as
// SetLOX24Webhook describes.
func WithLOX24Webhook(webhookURL string) Option {
	return func(c *config) {
		if err := checkWebhookURL(webhookURL); err != nil {
			c.fail("WithLOX24Webhook: %v", err)
			return
		}
		c.lox24Webhook = webhookURL
	}
}

func checkWebhookURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the URL must be an absolute http or https URL")
	}
	return nil
}

// SetLOX24Webhook makes the mock send the LOX24 webhook events of verify
// codes from now on to webhookURL; "" stops sending new events (deliveries
// already queued still run). Reset returns it to the WithLOX24Webhook URL.
// It panics on a URL that is not an absolute http or https URL.
func (h *Handler) SetLOX24Webhook(webhookURL string) {
	if err := h.setLOX24Webhook(webhookURL); err != nil {
		panic("mock: SetLOX24Webhook: " + err.Error())
	}
}

func (h *Handler) setLOX24Webhook(webhookURL string) error {
	if err := checkWebhookURL(webhookURL); err != nil {
		return err
	}
	h.mu.Lock()
	h.st.wh.url = webhookURL
	h.mu.Unlock()
	if webhookURL != "" {
		h.whSend.active.Store(true)
	}
	return nil
}

// LOX24Webhook returns the URL LOX24 webhook events are sent to, "" when
// none.
func (h *Handler) LOX24Webhook() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st.wh.url
}

// Webhooks returns the webhook delivery log, oldest first: every attempt
// (the last DefaultRingSize). Deliveries due by now are attempted first.
func (h *Handler) Webhooks() []WebhookDelivery {
	h.DeliverWebhooks()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st.wh.log.snapshot()
}

// webhookState is the part of the state Reset clears: the URL, the queued
// deliveries and the log. In-flight deliveries hold it by pointer and drop
// their result when Reset replaced it.
type webhookState struct {
	url     string
	pending webhookQueue // the first undelivered event of each verify code
	// lines holds each verify code's undelivered events in the order they
	// happened: its first is in pending (or being sent), the others wait
	// for it to be delivered or given up, so that the events of one code
	// are sent in the order they happened, retries included.
	lines  map[string][]*webhookEvent
	queued int // events in lines
	log    ring[WebhookDelivery]
	seq    uint64
	notes  []webhookNote // events of the transition being made, see noteWebhookLocked

	maxPending int // webhookMaxPending; lowered by tests
}

func newWebhookState(webhookURL string) *webhookState {
	return &webhookState{url: webhookURL, lines: map[string][]*webhookEvent{},
		log: newRing[WebhookDelivery](DefaultRingSize), maxPending: webhookMaxPending}
}

// queueLocked adds ev behind the undelivered events of its verify code.
func (wh *webhookState) queueLocked(ev *webhookEvent) {
	line := wh.lines[ev.code]
	if len(line) == 0 {
		heap.Push(&wh.pending, ev)
	}
	wh.lines[ev.code] = append(line, ev)
	wh.queued++
}

// doneLocked ends ev's deliveries (delivered, or its attempts used up): the
// next event of its verify code joins pending with the time it happened,
// so that among the events due it goes out in the order they happened.
func (wh *webhookState) doneLocked(ev *webhookEvent) {
	line := wh.lines[ev.code]
	if len(line) == 0 || line[0] != ev {
		return
	}
	line[0] = nil
	line = line[1:]
	wh.queued--
	if len(line) == 0 {
		delete(wh.lines, ev.code)
		return
	}
	wh.lines[ev.code] = line
	heap.Push(&wh.pending, line[0])
}

// webhookEvent is one event and its delivery to one URL. data is the
// encoded data member, a snapshot taken when the event happened.
type webhookEvent struct {
	id, name, taskID, url string
	code                  string // the verify code's id
	created               time.Time
	data                  []byte
	attempts              int // made so far
	due                   time.Time
	seq                   uint64 // orders events due at the same time as they happened
}

// webhookNote is an event noted during a transition of a verify code;
// history is the index of the step a channel event is about, or -1.
type webhookNote struct {
	name    string
	history int
}

// noteWebhookLocked notes that event name happened to the verify code in
// transition. The events are queued by flushWebhooksLocked at the end of
// the transition, with one snapshot that is what GET answers at that time.
func (h *Handler) noteWebhookLocked(name string, history int) {
	if wh := h.st.wh; wh.url != "" {
		wh.notes = append(wh.notes, webhookNote{name, history})
	}
}

// flushWebhooksLocked queues the events noted for c, which happened at at.
func (h *Handler) flushWebhooksLocked(c *lox24Code, at time.Time) {
	wh := h.st.wh
	if len(wh.notes) == 0 {
		return
	}
	snap := c.wire()
	for _, n := range wh.notes {
		data := webhookData{lox24CodeWire: snap}
		if n.history >= 0 {
			data.Channel = webhookChannel(c, n.history)
		}
		b := marshal(data)
		wh.seq++
		ev := &webhookEvent{id: newUUID(), name: n.name, taskID: newUUID(), url: wh.url, code: c.id, created: at, data: b, due: at, seq: wh.seq}
		if wh.queued >= wh.maxPending {
			wh.log.push(WebhookDelivery{EventID: ev.id, Name: ev.name, URL: ev.url, Attempt: 0, Error: webhookEventPending, Time: at})
			continue
		}
		wh.queueLocked(ev)
	}
	wh.notes = wh.notes[:0]
}

// webhookData is the data member: the read object, plus the step of a
// channel event.
type webhookData struct {
	lox24CodeWire
	Channel *webhookChannelWire `json:"channel,omitempty"`
}

type webhookChannelWire struct {
	ID           string  `json:"id"`
	Channel      string  `json:"channel"`
	Status       int     `json:"status"`
	ProcessedAt  int64   `json:"processed_at"`
	ExternalID   *string `json:"external_id"`
	ErrorMessage *string `json:"error_message"`
	Cost         *int    `json:"cost"`
}

// webhookChannel is step i's history entry, with the error text of a
// failed or errored step and the cost of a finished one.
func webhookChannel(c *lox24Code, i int) *webhookChannelWire {
	e := c.history[i]
	w := &webhookChannelWire{ID: e.id, Channel: e.channel, Status: int(e.status), ProcessedAt: e.processedAt.Unix()}
	if e.externalID != "" {
		ext := e.externalID
		w.ExternalID = &ext
	}
	var cost int
	switch e.status {
	case otpkit.VerifyCodeSuccess:
		cost = lox24Cost(e.channel)
	case otpkit.VerifyCodeFailed:
		cost = lox24Cost(e.channel)
		msg := channelFailure(e.channel)
		w.ErrorMessage = &msg
	case otpkit.VerifyCodeError:
		cost = lox24Cost(e.channel)
		msg := "processing error"
		w.ErrorMessage = &msg
	default:
		return w // still in progress: no cost yet
	}
	w.Cost = &cost
	return w
}

func channelFailure(channel string) string {
	switch channel {
	case "telegram":
		return "telegram: the message was not delivered within timeout_sec"
	case "voice":
		return "voice: the call was not answered"
	}
	return strings.ToLower(channel) + ": the message was not delivered"
}

// webhookEnvelope is an event as LOX24 POSTs it.
type webhookEnvelope struct {
	ID                 string          `json:"id"`
	APIVersion         string          `json:"api_version"`
	Name               string          `json:"name"`
	CreatedAt          int64           `json:"created_at"`
	AttemptTotal       int             `json:"attempt_total"`
	AttemptNumber      int             `json:"attempt_number"`
	Data               json.RawMessage `json:"data"`
	NotificationTaskID string          `json:"notification_task_id"`
}

func (ev *webhookEvent) body(attempt int) []byte {
	return marshal(webhookEnvelope{ID: ev.id, APIVersion: webhookAPIVersion, Name: ev.name, CreatedAt: ev.created.Unix(),
		AttemptTotal: webhookAttempts, AttemptNumber: attempt, Data: ev.data, NotificationTaskID: ev.taskID})
}

// webhookQueue orders queued deliveries by due time, then by when their
// event happened.
type webhookQueue []*webhookEvent

func (q webhookQueue) Len() int { return len(q) }
func (q webhookQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q webhookQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *webhookQueue) Push(x any)   { *q = append(*q, x.(*webhookEvent)) }
func (q *webhookQueue) Pop() any {
	old := *q
	ev := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return ev
}

// controlWebhooks serves /_mock/webhooks: GET lists the delivery log, POST
// {"url":"…"} sets the URL ("" stops sending).
func (h *Handler) controlWebhooks(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "GET, POST") {
		return
	}
	if r.Method == http.MethodGet {
		writeControl(w, http.StatusOK, nonNil(h.Webhooks()))
		return
	}
	var in struct {
		URL *string `json:"url"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if in.URL == nil {
		controlError(w, http.StatusBadRequest, `"url" is required ("" stops sending)`)
		return
	}
	if err := h.setLOX24Webhook(*in.URL); err != nil {
		controlError(w, http.StatusBadRequest, `"url": `+err.Error())
		return
	}
	writeControl(w, http.StatusOK, map[string]string{"url": h.LOX24Webhook()})
}

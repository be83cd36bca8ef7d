package mock

import (
	"container/heap"
	"strings"
	"time"

	"github.com/otpkit/otpkit"
)

// Delivery of a LOX24 verify code, on the mock's clock. Each routing step
// takes lox24StepTime, except a telegram step that fails, which fails only
// when its timeout_sec ran out. A failed step falls back to the next; a
// delivered step ends with Success, an errored one with Error, the last
// failed one with Failed. The cost is summed over every step tried,
// delivered, failed or errored (the spec's decided prices, lox24Cost).
//
// Delivery is lazy: nothing runs in the background. Whenever the state is
// read or changed (a request, Advance, Messages, LastCode, ...), the steps
// due by then are completed first, in time order, so GET and the outbox
// always agree with the clock.

const (
	lox24StepTime        = time.Second
	lox24TelegramTimeout = 30 // seconds, when the step gives none
	lox24Currency        = "EUR"
)

// lox24Cost is the price of one step in euro cents.
func lox24Cost(channel string) int {
	switch channel {
	case "telegram":
		return 5
	case "voice":
		return 15
	case "sms":
		return 8
	}
	return 0
}

type lox24Code struct {
	id            string
	userID        int
	phone         string
	code          string
	codeDeleted   bool
	codeLength    int
	lang          string
	payload       *string
	isCodeDeleted bool
	steps         []lox24Step
	created       time.Time
	updated       time.Time
	seq           uint64

	status    otpkit.VerifyCodeStatus
	delivered string
	cost      int // charged so far
	reserved  int // the worst case, held from the balance until the code is done
	history   []lox24History

	// The step in progress.
	cur         int
	stepEnd     time.Time
	stepOutcome Outcome
}

type lox24History struct {
	id          string
	channel     string
	status      otpkit.VerifyCodeStatus
	processedAt time.Time
	externalID  string
}

// newLOX24Code prepares a code from a valid create body: its id, its code
// (the given one, or a random one of code_length digits) and its worst-case
// cost. The caller fills in user and times.
func newLOX24Code(c *lox24CreateBody) *lox24Code {
	vc := &lox24Code{
		id:            newUUID(),
		lang:          "DE",
		payload:       c.in.Payload,
		isCodeDeleted: c.isCodeDeleted,
		steps:         c.steps,
	}
	if c.in.Phone != nil {
		vc.phone = *c.in.Phone
	}
	if c.in.Lang != nil {
		vc.lang = *c.in.Lang
	}
	switch {
	case c.in.Code != nil:
		vc.code = *c.in.Code
		vc.codeLength = len(vc.code)
	case c.in.CodeLength != nil:
		vc.codeLength = *c.in.CodeLength
		vc.code = randomDigits(vc.codeLength)
	default:
		vc.codeLength = 4
		vc.code = randomDigits(4)
	}
	for _, st := range vc.steps {
		vc.reserved += lox24Cost(st.Channel)
	}
	return vc
}

// startStepLocked starts step i at time at: the code is In Progress, the
// step has a history entry, and its end is scheduled.
func (h *Handler) startStepLocked(c *lox24Code, i int, at time.Time) {
	st := &c.steps[i]
	c.cur, c.status, c.updated = i, otpkit.VerifyCodeInProgress, at
	c.stepOutcome = h.outcomeLocked(c.phone, otpkit.Channel(st.Channel))
	d := lox24StepTime
	if st.Channel == "telegram" && c.stepOutcome == OutcomeFailed {
		secs := lox24TelegramTimeout
		if st.TimeoutSec != nil {
			secs = *st.TimeoutSec
		}
		d = time.Duration(secs) * time.Second
	}
	c.stepEnd = at.Add(d)
	c.history = append(c.history, lox24History{id: newUUID(), channel: st.Channel,
		status: otpkit.VerifyCodeInProgress, processedAt: at})
	heap.Push(&h.st.lox.due, c)
	if i == 0 {
		h.noteWebhookLocked(otpkit.EventVerifyCodeChannelUpdated, -1)
	}
	h.noteWebhookLocked(otpkit.EventVerifyCodeChannelSent, len(c.history)-1)
	if i == 0 { // a later step starts in completeStepLocked, which queues its events
		h.flushWebhooksLocked(c, at)
	}
}

// deliverDueLocked completes every step that ended by now, oldest first.
func (h *Handler) deliverDueLocked(now time.Time) {
	due := &h.st.lox.due
	for due.Len() > 0 && !(*due)[0].stepEnd.After(now) {
		h.completeStepLocked(heap.Pop(due).(*lox24Code))
	}
}

func (h *Handler) completeStepLocked(c *lox24Code) {
	st := &c.steps[c.cur]
	at := c.stepEnd
	e := &c.history[len(c.history)-1]
	e.processedAt, c.updated = at, at
	step := len(c.history) - 1
	defer h.flushWebhooksLocked(c, at)
	switch c.stepOutcome {
	case OutcomeDelivered:
		e.status, e.externalID = otpkit.VerifyCodeSuccess, externalID(st.Channel)
		c.cost += lox24Cost(st.Channel)
		c.delivered = st.Channel
		h.noteWebhookLocked(otpkit.EventVerifyCodeChannelSuccess, step)
		text := lox24DefaultText(c.lang)
		if st.Template != nil && st.Channel != "telegram" {
			text = *st.Template
		}
		h.st.pushMessage(Message{ID: c.id, Provider: otpkit.ProviderLOX24, Channel: otpkit.Channel(st.Channel),
			To: c.phone, Code: c.code, Text: fillCode(text, c.code), Time: at})
		h.finishCodeLocked(c, otpkit.VerifyCodeSuccess)
	case OutcomeFailed:
		e.status, e.externalID = otpkit.VerifyCodeFailed, externalID(st.Channel)
		c.cost += lox24Cost(st.Channel)
		h.noteWebhookLocked(otpkit.EventVerifyCodeChannelFailed, step)
		if c.cur+1 < len(c.steps) {
			h.startStepLocked(c, c.cur+1, at)
			return
		}
		h.finishCodeLocked(c, otpkit.VerifyCodeFailed)
	default:
		e.status = otpkit.VerifyCodeError
		c.cost += lox24Cost(st.Channel)
		h.noteWebhookLocked(otpkit.EventVerifyCodeChannelFailed, step)
		h.finishCodeLocked(c, otpkit.VerifyCodeError)
	}
}

// finishCodeLocked ends processing: the status is final, the reservation is
// released and the actual cost charged, and with is_code_deleted the code
// is forgotten (the outbox, being the recipient's phone, keeps it).
func (h *Handler) finishCodeLocked(c *lox24Code, status otpkit.VerifyCodeStatus) {
	c.status = status
	h.st.reserved -= c.reserved
	c.reserved = 0
	h.st.balance -= c.cost
	if c.isCodeDeleted {
		c.code, c.codeDeleted = "", true
	}
	if status == otpkit.VerifyCodeSuccess {
		h.noteWebhookLocked(otpkit.EventVerifyCodeSuccess, -1)
	} else {
		h.noteWebhookLocked(otpkit.EventVerifyCodeFailed, -1) // 20 Failed or 100 Error: data.status tells
	}
}

func externalID(channel string) string {
	prefix := channel
	if channel == "telegram" {
		prefix = "tg"
	}
	return prefix + "_msg_" + randomFrom(lowerAlnum, 12)
}

// lox24Texts are the default message texts by lang; languages without one
// get the English text.
var lox24Texts = map[string]string{
	"EN": "Your verification code is {{code}}",
	"DE": "Ihr Bestätigungscode lautet {{code}}",
	"FR": "Votre code de vérification est {{code}}",
	"IT": "Il tuo codice di verifica è {{code}}",
	"ES": "Tu código de verificación es {{code}}",
	"PL": "Twój kod weryfikacyjny to {{code}}",
	"NL": "Uw verificatiecode is {{code}}",
	"PT": "O seu código de verificação é {{code}}",
	"SV": "Din verifieringskod är {{code}}",
	"DA": "Din bekræftelseskode er {{code}}",
	"CS": "Váš ověřovací kód je {{code}}",
	"TR": "Doğrulama kodunuz {{code}}",
}

func lox24DefaultText(lang string) string {
	if t, ok := lox24Texts[strings.ToUpper(lang)]; ok {
		return t
	}
	return lox24Texts["EN"]
}

// lox24CodeWire is LOX24's VerifyCodeRead, in the field order of its
// documentation.
type lox24CodeWire struct {
	ID               string             `json:"id"`
	UserID           int                `json:"user_id"`
	Phone            string             `json:"phone"`
	RoutingStrategy  []lox24Step        `json:"routing_strategy"`
	Status           int                `json:"status"`
	DeliveredChannel *string            `json:"delivered_channel"`
	Cost             *int               `json:"cost"`
	Currency         *string            `json:"currency"`
	Code             *string            `json:"code"`
	CodeLength       *int               `json:"code_length"`
	Payload          *string            `json:"payload"`
	Lang             string             `json:"lang"`
	CreatedAt        int64              `json:"created_at"`
	UpdatedAt        int64              `json:"updated_at"`
	History          []lox24HistoryWire `json:"history"`
	IsCodeDeleted    bool               `json:"is_code_deleted"`
}

type lox24HistoryWire struct {
	ID          string  `json:"id"`
	Channel     string  `json:"channel"`
	Status      int     `json:"status"`
	ProcessedAt int64   `json:"processed_at"`
	ExternalID  *string `json:"external_id"`
}

// wire snapshots c (under the lock) for encoding after it.
func (c *lox24Code) wire() lox24CodeWire {
	w := lox24CodeWire{
		ID: c.id, UserID: c.userID, Phone: c.phone, RoutingStrategy: c.steps, Status: int(c.status),
		Payload: c.payload, Lang: c.lang, CreatedAt: c.created.Unix(), UpdatedAt: c.updated.Unix(),
		History: make([]lox24HistoryWire, len(c.history)), IsCodeDeleted: c.isCodeDeleted,
	}
	n := c.codeLength
	w.CodeLength = &n
	if !c.codeDeleted {
		code := c.code
		w.Code = &code
	}
	if c.status.Terminal() {
		cost, cur := c.cost, lox24Currency
		w.Cost, w.Currency = &cost, &cur
	}
	if c.delivered != "" {
		ch := c.delivered
		w.DeliveredChannel = &ch
	}
	for i, e := range c.history {
		w.History[i] = lox24HistoryWire{ID: e.id, Channel: e.channel, Status: int(e.status), ProcessedAt: e.processedAt.Unix()}
		if e.externalID != "" {
			ext := e.externalID
			w.History[i].ExternalID = &ext
		}
	}
	return w
}

package mock

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otpkit/internal/rules"
)

// The mock's default credentials. A Handler made without credential options
// accepts exactly these; Server.Client configures a client with them.
const (
	// LOX24Token is the default LOX24 token, "<clientId>:<apiKey>". Its
	// client id, 1234567, is the user_id of the verify codes it creates.
	LOX24Token = "1234567:5f1c9a0e7b3d42c8a6e1f0b9d8c7a6b5"
	// TryvoxAPIKey is the default Tryvox API key (a sandbox key).
	TryvoxAPIKey = "tvx_sk_test_4f9c2a7e1b6d8f3a5c0e9b2d"
	// TryvoxTenantID is the tenant TryvoxAPIKey belongs to.
	TryvoxTenantID = "acc_mock"
	// DotdigitalUsername is the default dotdigital API user.
	DotdigitalUsername = "mock-user"
	// DotdigitalPassword is DotdigitalUsername's password.
	DotdigitalPassword = "mock-password"
)

// DefaultRingSize is how many messages the outbox and how many entries the
// request log keep unless WithMaxMessages or WithMaxRequests say otherwise.
const DefaultRingSize = 10000

// Option configures a Handler or Server. Options are applied in order; an
// option given an unusable value makes NewHandler (and NewServer) panic with
// a message naming the option, as a misconfigured test should fail at once.
type Option func(*config)

type tryvoxCred struct{ key, tenant string }

type dotdigitalCred struct{ user, password string }

// config is what the options set. Reset returns the mutable state it seeds
// (balance, account state, sender IDs) to these values.
type config struct {
	lox24Tokens     []string
	tryvoxCreds     []tryvoxCred
	dotdigitalCreds []dotdigitalCred

	manualClock bool
	clockStart  time.Time

	balance         int
	balanceLimited  bool
	inactive        bool
	senderIDs       []string
	violationStatus int

	maxMessages, maxRequests int

	lox24Webhook string

	allowedHosts map[string]bool // normHost of WithAllowedHosts names

	errs []string
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func newConfig(opts []Option) config {
	c := config{violationStatus: 400, maxMessages: DefaultRingSize, maxRequests: DefaultRingSize}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if len(c.errs) > 0 {
		panic("mock: " + strings.Join(c.errs, "; "))
	}
	if len(c.lox24Tokens) == 0 {
		c.lox24Tokens = []string{LOX24Token}
	}
	if len(c.tryvoxCreds) == 0 {
		c.tryvoxCreds = []tryvoxCred{{TryvoxAPIKey, TryvoxTenantID}}
	}
	if len(c.dotdigitalCreds) == 0 {
		c.dotdigitalCreds = []dotdigitalCred{{DotdigitalUsername, DotdigitalPassword}}
	}
	return c
}

// WithLOX24Token makes the mock accept token, "<clientId>:<apiKey>" (the
// client id is digits; it becomes the user_id). Given more than once, every
// token is accepted and each client id is a separate user that cannot see
// the others' verify codes; the first is the one Server.Client uses. Giving
// it replaces the default LOX24Token.
func WithLOX24Token(token string) Option {
	return func(c *config) {
		if _, ok := rules.LOX24Token(token); !ok {
			c.fail(`WithLOX24Token: the token must look like "<digits>:<key>"`)
			return
		}
		c.lox24Tokens = append(c.lox24Tokens, token)
	}
}

// WithTryvoxKey makes the mock accept apiKey for tenantID. Given more than
// once, each pair is accepted; a known key sent with another tenant's id is
// 403 FORBIDDEN, and a tenant cannot see another tenant's verifications. The
// first pair is the one Server.Client uses. Giving it replaces the default
// TryvoxAPIKey and TryvoxTenantID.
func WithTryvoxKey(apiKey, tenantID string) Option {
	return func(c *config) {
		if !rules.HeaderSafe(apiKey) || !rules.HeaderSafe(tenantID) {
			c.fail("WithTryvoxKey: the key and tenant id must be non-empty and free of spaces")
			return
		}
		c.tryvoxCreds = append(c.tryvoxCreds, tryvoxCred{apiKey, tenantID})
	}
}

// WithDotdigitalAuth makes the mock accept the HTTP Basic credentials user
// and password. Given more than once, each account is accepted and cannot
// validate another account's requestIds. The first is the one Server.Client
// uses. Giving it replaces the default DotdigitalUsername and
// DotdigitalPassword.
func WithDotdigitalAuth(user, password string) Option {
	return func(c *config) {
		if !rules.BasicUser(user) || password == "" {
			c.fail("WithDotdigitalAuth: the user must be non-empty without a colon or spaces, the password non-empty")
			return
		}
		c.dotdigitalCreds = append(c.dotdigitalCreds, dotdigitalCred{user, password})
	}
}

// WithClock gives the mock a manual clock that starts at start and moves only
// with Advance, so expiry, delivery progress and rate-limit windows are
// exactly reproducible. Without it the mock's clock is real time plus
// everything Advance added.
func WithClock(start time.Time) Option {
	return func(c *config) {
		c.manualClock = true
		c.clockStart = start.Round(0).UTC()
	}
}

// WithBalance limits the LOX24 account to cents euro cents. A create whose
// steps could cost more than the balance not already reserved by running
// verify codes is 402; the actual cost is charged when delivery completes.
// The default balance is unlimited.
func WithBalance(cents int) Option {
	return func(c *config) {
		if cents < 0 {
			c.fail("WithBalance: negative balance %d", cents)
			return
		}
		c.balance, c.balanceLimited = cents, true
	}
}

// WithAccountInactive makes every authenticated LOX24 request answer 403
// "Account isn't activated".
func WithAccountInactive() Option {
	return func(c *config) { c.inactive = true }
}

// WithSenderIDs limits LOX24 sender_id values to ids; a step with another
// sender_id is a violation. With no ids (the default) any well-formed sender
// ID is allowed.
func WithSenderIDs(ids ...string) Option {
	return func(c *config) { c.senderIDs = append([]string(nil), ids...) }
}

// WithViolationStatus sets the status of LOX24 constraint violations: 400
// (the default) or 422, as newer versions of LOX24's framework send.
// Malformed JSON stays 400 either way.
func WithViolationStatus(status int) Option {
	return func(c *config) {
		if status != 400 && status != 422 {
			c.fail("WithViolationStatus: the status must be 400 or 422, not %d", status)
			return
		}
		c.violationStatus = status
	}
}

// WithMaxMessages bounds the outbox to the n most recent messages (default
// DefaultRingSize). n must be positive.
func WithMaxMessages(n int) Option {
	return func(c *config) {
		if n <= 0 {
			c.fail("WithMaxMessages: %d is not positive", n)
			return
		}
		c.maxMessages = n
	}
}

// WithMaxRequests bounds the request log to the n most recent requests
// (default DefaultRingSize). n must be positive.
func WithMaxRequests(n int) Option {
	return func(c *config) {
		if n <= 0 {
			c.fail("WithMaxRequests: %d is not positive", n)
			return
		}
		c.maxRequests = n
	}
}

// userIDOf is the LOX24 user_id of a token: its client id, or a number
// derived from it when it does not fit an int32 (LOX24's ids are small).
func userIDOf(token string) int {
	id, _, _ := strings.Cut(token, ":")
	if n, err := strconv.ParseInt(id, 10, 32); err == nil {
		return int(n)
	}
	h := 0
	for i := 0; i < len(id); i++ {
		h = (h*31 + int(id[i])) % 1_000_000_000
	}
	return h
}

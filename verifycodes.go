package otpkit

import (
	"context"
	"net/http"
	"net/url"

	"github.com/google/go-querystring/query"

	"github.com/otpkit/otpkit/internal/rules"
)

// CreateVerifyCode asks LOX24 to deliver a code over req.RoutingStrategy
// (POST /verify_codes). LOX24 only delivers: keep the returned ID, and when
// the user types the code, compare it with Matches on the VerifyCode from
// GetVerifyCode, or with CodesEqual on a code you kept yourself.
//
// LOX24 does not stop anyone from guessing: the comparison is yours, and so
// are the rules that make a code safe. Use at least 6 digits (CodeLength
// defaults to 4), allow at most 5 wrong tries, let a code live at most 10
// minutes, and accept it once. The verify package's Guard keeps these
// rules for you (verify.NewGuard, then (*verify.Guard).Issue to make the
// code you send and (*verify.Guard).Check to check what the user typed).
//
// The request is checked against every documented constraint first; a
// violation is a *ValidationError and nothing is sent. The call is never
// retried once it may have reached LOX24, because it sends a message.
func (c *Client) CreateVerifyCode(ctx context.Context, req *CreateVerifyCodeRequest) (*VerifyCode, error) {
	if req == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	if err := validateCreateVerifyCode(req); err != nil {
		return nil, err
	}
	var in verifyCodeIn
	err := c.do(ctx, request{provider: ProviderLOX24, method: http.MethodPost, path: "/verify_codes", body: (*createVerifyCodeWire)(req), write: true}, &in)
	if err != nil {
		return nil, err
	}
	vc := in.model()
	return &vc, nil
}

// GetVerifyCode returns the verify code with the given id (GET
// /verify_codes/{id}): its delivery status, history, cost and, unless it was
// deleted, its code. An unknown id, one of another account, or one that is
// not a UUID is ErrNotFound.
func (c *Client) GetVerifyCode(ctx context.Context, id string) (*VerifyCode, error) {
	path, err := pathWithID("/verify_codes/", "", "id", id)
	if err != nil {
		return nil, err
	}
	var in verifyCodeIn
	if err := c.do(ctx, request{provider: ProviderLOX24, method: http.MethodGet, path: path}, &in); err != nil {
		return nil, err
	}
	vc := in.model()
	return &vc, nil
}

// ListVerifyCodes returns one page of verify codes, newest first (GET
// /verify_codes?page=N, 30 a page). opts may be nil for the first page; an
// empty result means there are no more pages.
func (c *Client) ListVerifyCodes(ctx context.Context, opts *ListVerifyCodesOptions) ([]VerifyCode, error) {
	q := ""
	if opts != nil {
		if opts.Page < 0 {
			return nil, &ValidationError{Field: "page", Reason: "must not be negative"}
		}
		v, err := query.Values(opts)
		if err != nil {
			return nil, &ValidationError{Field: "page", Reason: err.Error()}
		}
		q = v.Encode()
	}
	var in []verifyCodeIn
	if err := c.do(ctx, request{provider: ProviderLOX24, method: http.MethodGet, path: "/verify_codes", query: q}, &in); err != nil {
		return nil, err
	}
	list := make([]VerifyCode, len(in))
	for i := range in {
		list[i] = in[i].model()
	}
	return list, nil
}

// Matches reports whether code is this verify code's code, comparing in
// constant time. It is false when LOX24 has deleted the code or code is empty.
func (v *VerifyCode) Matches(code string) bool {
	if v == nil || v.Code == nil || *v.Code == "" || code == "" {
		return false
	}
	return rules.CodesEqual(*v.Code, code)
}

// pathWithID builds prefix + escaped id + suffix. The id must be non-empty
// and may not be "." or "..", which would name another path.
func pathWithID(prefix, suffix, field, id string) (string, error) {
	if id == "" {
		return "", &ValidationError{Field: field, Reason: "is empty"}
	}
	if id == "." || id == ".." {
		return "", &ValidationError{Field: field, Reason: "is not a valid id"}
	}
	return prefix + url.PathEscape(id) + suffix, nil
}

// validateCreateVerifyCode applies LOX24's documented constraints (shared
// with the mock) and reports the first one broken.
func validateCreateVerifyCode(r *CreateVerifyCodeRequest) error {
	in := rules.LOX24Create{Phone: &r.Phone, Code: optPtr(&r.Code), Lang: optPtr(&r.Lang), Payload: optPtr(&r.Payload)}
	if r.CodeLength != 0 {
		in.CodeLength = &r.CodeLength
	}
	if r.RoutingStrategy != nil {
		in.RoutingStrategy = make([]rules.LOX24Step, len(r.RoutingStrategy))
		channels := make([]string, len(r.RoutingStrategy))
		for i := range r.RoutingStrategy {
			st := &r.RoutingStrategy[i]
			channels[i] = string(st.Channel)
			in.RoutingStrategy[i] = rules.LOX24Step{Channel: &channels[i], SenderID: optPtr(&st.SenderID), Template: optPtr(&st.Template)}
			if st.TimeoutSec != 0 {
				in.RoutingStrategy[i].TimeoutSec = &st.TimeoutSec
			}
		}
	}
	return firstViolation(rules.LOX24CreateViolations(in, nil))
}

// optPtr is p, or nil when *p is empty; unlike optString it does not copy.
func optPtr(p *string) *string {
	if *p == "" {
		return nil
	}
	return p
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func firstViolation(vs []rules.Violation) error {
	if len(vs) == 0 {
		return nil
	}
	return &ValidationError{Field: vs[0].Field, Reason: vs[0].Message}
}

package otpkit

import (
	"context"
	"net/http"
	"time"

	"github.com/otpkit/otpkit/internal/rules"
)

// SendCode sends a 6-digit code to req.To (dotdigital's Verify method, POST
// /webapi/verify) and returns its status, CodeNotVerified, with the
// RequestID to validate against. Never retried once it may have reached
// dotdigital, because it sends a message.
func (c *Client) SendCode(ctx context.Context, req *SendCodeRequest) (*CodeStatus, error) {
	if req == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	in := rules.DotdigitalSend{To: req.To, From: req.From, CountryIsoCode: req.CountryISOCode, Body: req.Body}
	if !req.ValidUntil.IsZero() {
		in.ValidUntil = &req.ValidUntil
	}
	if err := firstViolation(rules.DotdigitalSendViolations(in, time.Now())); err != nil {
		return nil, err
	}
	var out codeStatusIn
	if err := c.do(ctx, request{provider: ProviderDotdigital, method: http.MethodPost, path: "/webapi/verify", body: req, write: true}, &out); err != nil {
		return nil, err
	}
	st := out.model()
	return &st, nil
}

// ValidateCode checks the code the user entered for requestID (PUT
// /WebApi/Verify/{requestId}/validate). The returned Status says the outcome:
// CodeVerified, CodeNotVerified (wrong, try again), CodeLocked (5 wrong
// codes) or CodeExpired. A requestId is single use: once verified, locked or
// expired, or when unknown, the provider answers 204 and this returns an
// error matching ErrNotFound. Never retried once it may have reached
// dotdigital: each wrong code spends an attempt.
func (c *Client) ValidateCode(ctx context.Context, requestID, code string) (*CodeStatus, error) {
	path, err := pathWithID("/WebApi/Verify/", "/validate", "requestId", requestID)
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, &ValidationError{Field: "code", Reason: "is empty"}
	}
	body := struct {
		Code string `json:"code"`
	}{code}
	var in validatedIn
	if err := c.do(ctx, request{provider: ProviderDotdigital, method: http.MethodPut, path: path, body: body, write: true}, &in); err != nil {
		return nil, err
	}
	st := in.model()
	return &st, nil
}

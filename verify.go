package otpkit

import (
	"context"
	"net/http"

	"github.com/otpkit/otpkit/internal/rules"
)

// tryvoxEnvelope is Tryvox's success body, {"data":{…}}. A missing or
// null data leaves Data.ID empty.
type tryvoxEnvelope struct {
	Data verificationIn `json:"data"`
}

func (e *tryvoxEnvelope) missing() string {
	if e.Data.ID == "" {
		return `"data" object with a verification_id`
	}
	return ""
}

// StartVerification sends a code over req.Channel to req.To (POST
// /v1/verify/start) and returns the pending verification; the code expires
// after 10 minutes and allows 5 checks. More than 5 starts for one recipient
// in an hour is ErrRateLimited; a channel that cannot deliver is
// ErrDeliveryFailed. Never retried once it may have reached Tryvox.
func (c *Client) StartVerification(ctx context.Context, req *StartVerificationRequest) (*Verification, error) {
	if req == nil {
		return nil, &ValidationError{Field: "request", Reason: "is nil"}
	}
	in := rules.TryvoxStart{To: &req.To, Channel: optString(string(req.Channel)), CustomMessage: optString(req.CustomMessage)}
	if req.CodeLength != 0 {
		in.CodeLength = &req.CodeLength
	}
	if err := firstViolation(rules.TryvoxStartViolations(in)); err != nil {
		return nil, err
	}
	return c.tryvox(ctx, request{method: http.MethodPost, path: "/v1/verify/start", body: req, write: true})
}

// GetStatus returns the verification with its status, attempts and expiry
// (GET /v1/verify/{id}). An unknown id, or one of another tenant, is
// ErrNotFound.
func (c *Client) GetStatus(ctx context.Context, verificationID string) (*Verification, error) {
	path, err := pathWithID("/v1/verify/", "", "verification_id", verificationID)
	if err != nil {
		return nil, err
	}
	return c.tryvox(ctx, request{method: http.MethodGet, path: path})
}

// CheckCode checks the code the user entered (POST /v1/verify/check). A
// correct code returns the approved verification. A wrong one is an error
// matching ErrInvalidCode; the 5th wrong one and every check after it match
// ErrMaxAttempts; an expired, approved or unknown verification is
// ErrNotFound. Each check spends one of the 5 attempts, so it is never
// retried once it may have reached Tryvox. A code that is not 4–8 digits is a
// *ValidationError and spends nothing.
//
// The error of a wrong code says nothing about the attempts left (Tryvox's
// answer has no count); call GetStatus and read RemainingAttempts when the
// user should be told.
func (c *Client) CheckCode(ctx context.Context, verificationID, code string) (*Verification, error) {
	if err := firstViolation(rules.TryvoxCheckViolations(verificationID, code)); err != nil {
		return nil, err
	}
	body := struct {
		VerificationID string `json:"verification_id"`
		Code           string `json:"code"`
	}{verificationID, code}
	return c.tryvox(ctx, request{method: http.MethodPost, path: "/v1/verify/check", body: body, write: true})
}

func (c *Client) tryvox(ctx context.Context, r request) (*Verification, error) {
	r.provider = ProviderTryvox
	var env tryvoxEnvelope
	if err := c.do(ctx, r, &env); err != nil {
		return nil, err
	}
	v := env.Data.model()
	return &v, nil
}

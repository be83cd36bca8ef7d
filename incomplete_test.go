package otpkit_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A success answer without what identifies its object (a proxy's "{}",
// another API's object) is an *APIError that matches ErrServer and keeps
// the answer's own status and request id, as every error of the client
// does: the provider's support finds the call by that id.
func TestSuccessWithoutItsIDIsAnAPIErrorWithTheRequestID(t *testing.T) {
	// LOX24 documents its own header; the others answer the common one.
	answer := func(status int, body, requestID string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if requestID == "req-lox24-1" {
				w.Header().Set("X-LOX24-REQUEST-ID", requestID)
			} else {
				w.Header().Set("X-Request-Id", requestID)
			}
			writeJSON(w, status, body)
		}
	}
	const validateID = "0d5c94d4-df1f-4fc8-82d2-1f64ea548704"
	for _, tc := range []struct {
		name, pattern string
		status        int
		body, want    string
		requestID     string
		call          func(context.Context, *otpkit.Client) error
	}{
		{"lox24 create", "POST /verify_codes", 201, `{}`, `"id"`, "req-lox24-1", func(ctx context.Context, c *otpkit.Client) error {
			_, err := c.CreateVerifyCode(ctx, validCreate())
			return err
		}},
		{"lox24 get", "GET /verify_codes/{id}", 200, `{"status":10}`, `"id"`, "req-lox24-1", func(ctx context.Context, c *otpkit.Client) error {
			_, err := c.GetVerifyCode(ctx, "6b4f7c57-3b5e-4d4f-9f3e-8b1a2c3d4e5f")
			return err
		}},
		{"tryvox start", "POST /v1/verify/start", 201, `{"data":null}`, `"data" object with a verification_id`, "req-other-1", func(ctx context.Context, c *otpkit.Client) error {
			_, err := c.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
			return err
		}},
		{"tryvox status", "GET /v1/verify/{id}", 200, `{"ok":true}`, `"data" object with a verification_id`, "req-other-1", func(ctx context.Context, c *otpkit.Client) error {
			_, err := c.GetStatus(ctx, "ver_1")
			return err
		}},
		{"dotdigital send", "POST /webapi/verify", 201, `{"status":"CodeSent"}`, `"requestId"`, "req-other-1", func(ctx context.Context, c *otpkit.Client) error {
			_, err := c.SendCode(ctx, &otpkit.SendCodeRequest{To: "447123123456"})
			return err
		}},
		{"dotdigital validate", "PUT /WebApi/Verify/{id}/validate", 200, `{"requestId":"` + validateID + `"}`, `"requestId" or "status"`, "req-other-1", func(ctx context.Context, c *otpkit.Client) error {
			_, err := c.ValidateCode(ctx, validateID, "123456")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc(tc.pattern, answer(tc.status, tc.body, tc.requestID))
			err := tc.call(context.Background(), c)
			var apiErr *otpkit.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.ErrorIs(t, err, otpkit.ErrServer)
			assert.Equal(t, tc.status, apiErr.StatusCode, "the answer's own status")
			assert.Equal(t, tc.requestID, apiErr.RequestID)
			assert.Contains(t, err.Error(), "the response has no "+tc.want)
			assert.Contains(t, err.Error(), tc.requestID)
		})
	}
}

package otpkit_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// A success body the client cannot use is kept in APIError.Body with every
// member named "code" redacted, however the name is written and whatever
// the value's type.
func TestUnusableBodyRedactsEveryCode(t *testing.T) {
	for _, body := range []string{
		`{"id":"d7ad7539","code":482913,"created_at":"not a number"}`,
		`{"id":"d7ad7539","Code":"482913","created_at":"not a number"}`,
		`{"id":"d7ad7539","\u0063ode":"482913","created_at":"not a number"}`,
		`{"id":"d7ad7539","code":["482913"],"created_at":"not a number"}`,
		`{"id":"d7ad7539","created_at":"not a number","history":[{"CODE":{"v":"482913"}}]}`,
	} {
		c, mux, _ := setup(t)
		mux.HandleFunc("GET /verify_codes/{id}", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, body)
		})
		_, err := c.GetVerifyCode(context.Background(), "d7ad7539")
		var apiErr *otpkit.APIError
		require.ErrorAs(t, err, &apiErr, body)
		assert.ErrorIs(t, err, otpkit.ErrServer)
		assert.Contains(t, string(apiErr.Body), `"created_at":"not a number"`, "the body is kept for diagnosis")
		assert.NotContains(t, string(apiErr.Body), "482913", body)
	}
}

package otpkit_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// hostileText is a provider message that would repaint a terminal: a
// carriage return, ANSI colour, a C1 CSI, DEL, a bidi override and NUL.
const hostileText = "wrong code\r\x1b[32mstatus: approved\x1b[0m\u009b2K\x7f\u202e\x00"

// assertDisplaySafe checks s has no control character but spaces.
func assertDisplaySafe(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		assert.False(t, unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029',
			"control character %U in %q", r, s)
	}
}

// Provider text reaches Error() without control characters and capped.
func TestAPIErrorTextIsDisplaySafe(t *testing.T) {
	e := &otpkit.APIError{Provider: otpkit.ProviderTryvox, StatusCode: 400, Method: "POST", Path: "/v1/verify/check",
		Code: "VERIFICATION\x1b[0m_FAILED", Message: hostileText + "\nsecond line", RequestID: "req\r\x1b[2K1"}
	s := e.Error()
	assertDisplaySafe(t, s)
	assert.Contains(t, s, "wrong code")
	assert.Contains(t, s, "second line")

	e.Message = strings.Repeat("m", 100_000)
	e.RequestID = strings.Repeat("r", 100_000)
	e.Code = strings.Repeat("c", 100_000)
	assert.Less(t, len(e.Error()), 2000, "provider text is capped")

	// As a call produces it.
	c, mux, _ := setup(t)
	mux.HandleFunc("POST /v1/verify/check", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, `{"error":{"code":"VERIFICATION_FAILED","message":"wrong code\r\u001b[32mstatus: approved\u001b[0m\u009b2K"}}`)
	})
	_, err := c.CheckCode(context.Background(), "ver_abc123", "482913")
	require.Error(t, err)
	assert.ErrorIs(t, err, otpkit.ErrInvalidCode)
	assertDisplaySafe(t, err.Error())
}

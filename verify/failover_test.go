package verify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
	"github.com/otpkit/otpkit/verify"
)

// Each answer of Tryvox's start, and whether the Service fails over to
// dotdigital on it: only when the answer proves nothing went out.
func TestServiceFailoverDecisions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     mock.Fault
		want      error
		failsOver bool
	}{
		{"401", mock.Fault{Status: 401}, otpkit.ErrUnauthorized, true},
		{"403", mock.Fault{Status: 403}, otpkit.ErrForbidden, true},
		{"429", mock.Fault{Status: 429}, otpkit.ErrRateLimited, true},
		{"500", mock.Fault{Status: 500}, otpkit.ErrServer, true},
		{"502", mock.Fault{Status: 502}, otpkit.ErrServer, true},
		{"422", mock.Fault{Status: 422}, otpkit.ErrInvalidRequest, false},
		{"dropped before the provider acted", mock.Fault{DropConnection: true}, otpkit.ErrUnavailable, false},
		{"dropped after the provider acted", mock.Fault{DropConnection: true, AfterHandler: true}, otpkit.ErrUnavailable, false},
		// A 5xx is taken at its word (the provider failed, sent nothing),
		// even from a provider that acted and then failed to answer: the
		// user may then get two codes. Only the provider can prevent it.
		{"a 500 taken at its word", mock.Fault{Status: 500, AfterHandler: true}, otpkit.ErrServer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			srv, c := newMock(t)
			srv.InjectFault("POST /v1/verify/start", tc.fault)
			svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(c), verify.Dotdigital(c))
			sent, err := svc.Send(ctx, &verify.SendRequest{To: "+4917012345678"})
			if !tc.failsOver {
				require.ErrorIs(t, err, tc.want)
				assert.Zero(t, requestsTo(srv, otpkit.ProviderDotdigital), "no failover")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, otpkit.ProviderDotdigital, sent.Provider)
			require.Len(t, sent.Failovers, 1)
			assert.ErrorIs(t, sent.Failovers[0], tc.want)
		})
	}
}

// A success status whose body cannot be read may be a code sent: no
// failover, although it is ErrServer.
func TestServiceNoFailoverOnAnUnreadableSuccess(t *testing.T) {
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data": [`))
	}))
	t.Cleanup(garbled.Close)
	srv, c := newMock(t)
	tv, err := srv.Client(otpkit.WithTryvoxURL(garbled.URL))
	require.NoError(t, err)
	svc := newService(t, newGuard(t, verify.Limits{}), verify.Tryvox(tv), verify.Dotdigital(c))
	_, err = svc.Send(context.Background(), &verify.SendRequest{To: "+4917012345678"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, otpkit.ErrNotSent)
	assert.Zero(t, requestsTo(srv, otpkit.ProviderDotdigital), "no failover")
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/mock"
)

func TestMockCommandSendsLOX24Webhooks(t *testing.T) {
	var mu sync.Mutex
	var names []string
	receiver := httptest.NewServer(otpkit.NewLOX24WebhookHandler(func(_ context.Context, ev *otpkit.LOX24Event) error {
		mu.Lock()
		names = append(names, ev.Name)
		mu.Unlock()
		return nil
	}, otpkit.WithWebhookToken("tok-1")))
	defer receiver.Close()
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), names...)
	}

	goroutines := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0", "--lox24-webhook", receiver.URL + "/hook?token=tok-1"},
			func(string) string { return "" }, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Count(stdout.String(), "\n") >= len(envNames) }, 5*time.Second, 5*time.Millisecond)
	env := parseEnvLines(t, stdout.String())

	r := runCLI(t, env, "lox24", "create", "--phone", "+491701234567", "--route", "sms")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, []string{otpkit.EventVerifyCodeChannelUpdated, otpkit.EventVerifyCodeChannelSent}, got(), "sent before the create answered")
	// The standalone mock's clock is real: the step completes a second
	// later and its events go out without another request.
	require.Eventually(t, func() bool { return len(got()) == 4 }, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, otpkit.EventVerifyCodeSuccess, got()[3])

	// The mock logs a delivery once it has the answer, which is just after
	// the receiver's function ran: poll.
	var log []mock.WebhookDelivery
	require.Eventually(t, func() bool {
		resp, err := http.Get(env[envBaseURL] + "/_mock/webhooks")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		log = nil
		return json.Unmarshal(body, &log) == nil && len(log) == 4
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, 200, log[3].Status)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(10 * time.Second):
		t.Fatal("otpkit mock did not stop")
	}
	waitGoroutines(t, goroutines)
	assert.NotContains(t, stderr.String(), "tok-1", "the webhook's token is not logged")
}

func TestMockCommandRefusesABadWebhookURL(t *testing.T) {
	r := runCLI(t, nil, "mock", "--addr", "127.0.0.1:0", "--lox24-webhook", "localhost:9000/hook")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--lox24-webhook must be an absolute http or https URL")
}

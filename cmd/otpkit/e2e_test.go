package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEndStandaloneMock builds the binary, starts "otpkit mock" and
// completes a Tryvox and a dotdigital verification with plain HTTP, as a CI
// pipeline in another language would: hand-written JSON bodies, the codes read
// from /_mock/messages, the clock moved with /_mock/clock.
func TestEndToEndStandaloneMock(t *testing.T) {
	p := startMockProcess(t)
	env := p.env
	base := env[envBaseURL]
	require.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*$`, base)
	tryvoxAuth := func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+env[envTryvoxKey])
		r.Header.Set("X-Tenant-ID", env[envTryvoxTen])
	}
	basicAuth := func(r *http.Request) { r.SetBasicAuth(env[envDDUser], env[envDDPass]) }

	status, body := call(t, "GET", base+"/_mock/health", "", nil)
	require.Equal(t, http.StatusOK, status, body)

	// Tryvox: start, read the code from the outbox, check it.
	const phone = "+4917012345678"
	status, body = call(t, "POST", base+"/v1/verify/start", `{"to":"`+phone+`","channel":"sms"}`, tryvoxAuth)
	require.Equal(t, http.StatusOK, status, body)
	id := field(t, body, "data", "verification_id")
	code := lastCode(t, base, phone)
	status, body = call(t, "POST", base+"/v1/verify/check", `{"verification_id":"`+id+`","code":"`+code+`"}`, tryvoxAuth)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "approved", field(t, body, "data", "status"))

	// dotdigital: send, read the code, validate it.
	const number = "447700900123"
	status, body = call(t, "POST", base+"/webapi/verify", `{"to":"`+number+`"}`, basicAuth)
	require.Equal(t, http.StatusAccepted, status, body)
	requestID := field(t, body, "requestId")
	code = lastCode(t, base, number)
	status, body = call(t, "PUT", base+"/WebApi/Verify/"+requestID+"/validate", `{"code":"`+code+`"}`, basicAuth)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "CodeVerified", field(t, body, "status"))

	// Expiry: move the mock's clock past the 10 minutes.
	status, body = call(t, "POST", base+"/v1/verify/start", `{"to":"+4917012345679","channel":"sms"}`, tryvoxAuth)
	require.Equal(t, http.StatusOK, status, body)
	id = field(t, body, "data", "verification_id")
	status, body = call(t, "POST", base+"/_mock/clock", `{"advance":"11m"}`, nil)
	require.Equal(t, http.StatusOK, status, body)
	status, body = call(t, "GET", base+"/v1/verify/"+id, "", tryvoxAuth)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "expired", field(t, body, "data", "status"))

	// SIGTERM: a clean shutdown, exit status 0.
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, p.wait(10*time.Second), "stderr: %s", p.stderr.String())
	assert.Equal(t, 0, p.cmd.ProcessState.ExitCode())
	log := p.stderr.String()
	assert.Contains(t, log, "POST /v1/verify/start 200")
	assert.Contains(t, log, "PUT /WebApi/Verify/"+requestID+"/validate 200")
	assert.Contains(t, log, "POST /_mock/clock 200")
	assert.Contains(t, log, "stopped")
	for _, s := range secrets {
		assert.NotContains(t, log, s)
	}
}

// call sends one request, with Content-Type: application/json unless it is
// a GET (as a CI job's curl does: the /_mock/ controls need it even without
// a body), and returns the status and the response body.
func call(t *testing.T, method, u, body string, auth func(*http.Request)) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// field returns the string at path in a JSON object.
func field(t *testing.T, body string, path ...string) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	for _, p := range path {
		m, ok := v.(map[string]any)
		require.True(t, ok, "no object at %q in %s", p, body)
		v = m[p]
	}
	s, ok := v.(string)
	require.True(t, ok, "no string at %v in %s", path, body)
	return s
}

// lastCode reads the newest code sent to recipient from the mock's outbox.
func lastCode(t *testing.T, base, recipient string) string {
	t.Helper()
	status, body := call(t, "GET", base+"/_mock/messages?to="+url.QueryEscape(recipient), "", nil)
	require.Equal(t, http.StatusOK, status, body)
	var msgs []struct {
		To   string `json:"to"`
		Code string `json:"code"`
	}
	require.NoError(t, json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&msgs), body)
	require.NotEmpty(t, msgs, "no message to %s", recipient)
	return msgs[len(msgs)-1].Code
}

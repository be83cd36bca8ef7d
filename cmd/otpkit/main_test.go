package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit/mock"
)

// result is what one in-process run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// secrets are the mock's credentials; no command may ever print them.
var secrets = []string{
	mock.LOX24Token[strings.Index(mock.LOX24Token, ":")+1:], // the key part
	mock.TryvoxAPIKey,
	mock.DotdigitalPassword,
}

// runCLI runs the command line args in process with env as the whole
// environment, and checks that no credential reached the output.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, args, func(k string) string { return env[k] }, &stdout, &stderr)
	for _, s := range secrets {
		require.NotContains(t, stdout.String()+stderr.String(), s, "a credential was printed")
	}
	return result{code, stdout.String(), stderr.String()}
}

// newMock starts a mock server with a manual clock for one test.
func newMock(t *testing.T) *mock.Server {
	t.Helper()
	srv := mock.NewServer(mock.WithClock(time.Date(2026, 4, 9, 10, 0, 0, 0, time.UTC)))
	t.Cleanup(srv.Close)
	return srv
}

// mockEnvironment is the environment "otpkit mock" would print for srv.
func mockEnvironment(srv *mock.Server) map[string]string {
	env := map[string]string{}
	for _, kv := range mockEnv(srv.URL) {
		env[kv[0]] = kv[1]
	}
	return env
}

// without returns a copy of env without the named variables.
func without(env map[string]string, names ...string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = v
	}
	for _, n := range names {
		delete(out, n)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different
// goroutines (the mock command's output while it serves).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHelpOnEveryLevel(t *testing.T) {
	cases := [][]string{
		{"--help"}, {"-h"}, {"-help"}, {"help"},
		{"demo", "--help"}, {"mock", "-h"}, {"version", "--help"}, {"number", "--help"}, {"policy", "-h"},
		{"help", "tryvox"}, {"help", "dotdigital", "validate"},
	}
	for _, g := range groups {
		cases = append(cases, []string{g.name, "--help"}, []string{g.name, "-h"}, []string{g.name, "help"})
		for _, s := range g.subs {
			cases = append(cases, []string{g.name, s.name, "--help"}, []string{g.name, s.name, "-h"})
		}
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, args...) // no credentials needed for help
			assert.Equal(t, exitOK, r.code)
			assert.Contains(t, r.stdout, "Usage: otpkit")
			assert.Empty(t, r.stderr)
		})
	}
}

func TestSubcommandHelpShowsFlags(t *testing.T) {
	r := runCLI(t, nil, "lox24", "create", "--help")
	require.Equal(t, exitOK, r.code)
	for _, f := range []string{"--phone", "--code", "--code-length", "--lang", "--payload", "--delete-code", "--route",
		"--telegram-timeout", "--sender-id", "--template", "--base-url", "--json", "--timeout"} {
		assert.Regexp(t, `(?m)^  `+f+`( |$)`, r.stdout)
	}
	r = runCLI(t, nil, "tryvox", "check", "-h")
	assert.Contains(t, r.stdout, "Usage: otpkit tryvox check [flags] ID CODE")
}

func TestTopLevelHelpListsEveryCommand(t *testing.T) {
	r := runCLI(t, nil, "--help")
	for _, g := range groups {
		assert.Contains(t, r.stdout, g.name)
		for _, s := range g.subs {
			assert.Contains(t, r.stdout, s.name)
		}
	}
	for _, name := range []string{"demo", "mock", "number", "policy", "version", "LOX24_TOKEN", "TRYVOX_API_KEY", "TRYVOX_TENANT_ID",
		"DOTDIGITAL_USERNAME", "DOTDIGITAL_PASSWORD", "OTPKIT_BASE_URL"} {
		assert.Contains(t, r.stdout, name)
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, nil, "version")
	assert.Equal(t, exitOK, r.code)
	assert.Equal(t, "otpkit 0.1.0\n", r.stdout)
	assert.Equal(t, exitUsage, runCLI(t, nil, "version", "extra").code)
}

func TestUsageErrors(t *testing.T) {
	srv := newMock(t)
	env := mockEnvironment(srv)
	badURL := without(env)
	badURL[envBaseURL] = "localhost:8080" // no scheme
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string // in stderr
	}{
		{"no command", env, nil, "Usage: otpkit"},
		{"unknown command", env, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"group without subcommand", env, []string{"lox24"}, "Usage: otpkit lox24 SUBCOMMAND"},
		{"unknown subcommand", env, []string{"tryvox", "approve"}, `otpkit tryvox: unknown command "approve"`},
		{"unknown flag", env, []string{"lox24", "list", "--colour"}, "flag provided but not defined: --colour"},
		{"bad flag value", env, []string{"lox24", "list", "--page", "two"}, `invalid value "two" for flag --page`},
		{"flag without value", env, []string{"tryvox", "start", "--to"}, "flag needs an argument: --to"},
		{"missing required flag", env, []string{"lox24", "create", "--route", "sms"}, "missing required flag --phone"},
		{"missing channel", env, []string{"tryvox", "start", "--to", "+4917012345678"}, "missing required flag --channel"},
		{"missing --to", env, []string{"dotdigital", "send"}, "missing required flag --to"},
		{"missing argument", env, []string{"tryvox", "check", "ver_x"}, "want 2 argument(s), ID CODE; got 1"},
		{"extra argument", env, []string{"lox24", "list", "extra"}, `unexpected argument "extra"`},
		{"negative page", env, []string{"lox24", "list", "--page", "-1"}, "--page must be 1 or more"},
		{"telegram timeout without telegram", env, []string{"lox24", "create", "--phone", "+4917012345678", "--telegram-timeout", "60"},
			"--telegram-timeout needs a telegram step"},
		{"template without sms", env, []string{"lox24", "create", "--phone", "+4917012345678", "--route", "telegram", "--template", "{{code}}"},
			"--sender-id and --template need a voice or sms step"},
		{"negative valid-for", env, []string{"dotdigital", "send", "--to", "447700900123", "--valid-for", "-1m"}, "--valid-for must be positive"},
		{"help with too many arguments", env, []string{"help", "a", "b", "c"}, "too many arguments"},
		{"missing LOX24_TOKEN", without(env, envLOX24), []string{"lox24", "list"}, "LOX24_TOKEN not set in the environment"},
		{"missing Tryvox variables", without(env, envTryvoxKey, envTryvoxTen), []string{"tryvox", "status", "ver_x"},
			"TRYVOX_API_KEY and TRYVOX_TENANT_ID not set in the environment"},
		{"missing tenant", without(env, envTryvoxTen), []string{"tryvox", "status", "ver_x"}, "TRYVOX_TENANT_ID not set"},
		{"missing dotdigital password", without(env, envDDPass), []string{"dotdigital", "validate", "id", "123456"},
			"DOTDIGITAL_PASSWORD not set in the environment"},
		{"malformed LOX24_TOKEN", map[string]string{envLOX24: "not-a-token"}, []string{"lox24", "list"}, "LOX24_TOKEN: the token must look like"},
		{"bad OTPKIT_BASE_URL", badURL, []string{"lox24", "list"}, "OTPKIT_BASE_URL: "},
		{"bad --base-url", env, []string{"tryvox", "status", "ver_x", "--base-url", "ftp://example.test"}, "--base-url: "},
		{"bad --timeout", env, []string{"tryvox", "status", "ver_x", "--timeout", "-1s"}, "--timeout: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, tc.args...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
		})
	}
	// Nothing was sent for any of them.
	assert.Empty(t, srv.Requests())
}

func TestMalformedCredentialIsNotPrinted(t *testing.T) {
	r := runCLI(t, map[string]string{envLOX24: "secret value with spaces"}, "lox24", "list")
	assert.Equal(t, exitUsage, r.code)
	assert.NotContains(t, r.stderr, "secret value")
}

func TestOptionReason(t *testing.T) {
	assert.Equal(t, "the password is empty", optionReason(errorString("otpkit: WithDotdigitalAuth: the password is empty")))
	assert.Equal(t, "something: else", optionReason(errorString("otpkit: something: else")))
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestFlagsAfterArguments(t *testing.T) {
	fs := (&cli{}).newFlags("x", "", "", "A", "B")
	j := fs.Bool("json", false, "")
	pos, err := fs.parse(&cli{}, []string{"one", "--json", "two"})
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two"}, pos)
	assert.True(t, *j)

	fs = (&cli{}).newFlags("x", "", "", "A", "B")
	fs.Bool("json", false, "")
	pos, err = fs.parse(&cli{}, []string{"--", "--json", "-5"})
	require.NoError(t, err)
	assert.Equal(t, []string{"--json", "-5"}, pos)
}

func TestSecondsFlag(t *testing.T) {
	var s secondsValue
	require.NoError(t, s.Set("45"))
	assert.Equal(t, secondsValue(45), s)
	require.NoError(t, s.Set("2m"))
	assert.Equal(t, secondsValue(120), s)
	assert.Error(t, s.Set("1.5s"))
	assert.Error(t, s.Set("soon"))
}

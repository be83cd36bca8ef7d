package otpkit

import (
	"fmt"
	"os"

	"github.com/otpkit/otpkit/internal/rules"
)

// The environment variables WithEnv reads: the ones the otpkit command
// reads, and the six lines "otpkit mock" prints.
const (
	envLOX24Token     = "LOX24_TOKEN"
	envTryvoxAPIKey   = "TRYVOX_API_KEY"
	envTryvoxTenantID = "TRYVOX_TENANT_ID"
	envDotdigitalUser = "DOTDIGITAL_USERNAME"
	envDotdigitalPass = "DOTDIGITAL_PASSWORD"
	envOTPKitBaseURL  = "OTPKIT_BASE_URL"
)

// WithEnv configures the client from the environment, with the variables
// the otpkit command reads and "otpkit mock" prints:
//
//	LOX24_TOKEN                                 WithLOX24Token
//	TRYVOX_API_KEY and TRYVOX_TENANT_ID         WithTryvoxKey
//	DOTDIGITAL_USERNAME and DOTDIGITAL_PASSWORD WithDotdigitalAuth
//	OTPKIT_BASE_URL                             WithBaseURL
//
// A provider whose variables are unset (or empty) is skipped, so a service
// using one provider needs only its variables. A variable that is set but
// unusable, or one of a pair set without the other, makes NewClient fail
// with an error that names the variable, never its value. Options after
// WithEnv override what it set; options before it are overridden by the
// variables that are set.
//
// A test or CI job runs an app against the standalone mock by sourcing the
// six lines "otpkit mock" prints and building the client with WithEnv.
func WithEnv() Option {
	return func(c *Client) error { return applyEnv(c, os.Getenv) }
}

func applyEnv(c *Client, getenv func(string) string) error {
	var opts []Option
	if token := getenv(envLOX24Token); token != "" {
		if _, ok := rules.LOX24Token(token); !ok {
			return envError(envLOX24Token, `must look like "<clientId>:<apiKey>" (digits, colon, key)`)
		}
		opts = append(opts, WithLOX24Token(token))
	}
	key, tenant, err := envPair(getenv, envTryvoxAPIKey, envTryvoxTenantID)
	if err != nil {
		return err
	}
	if key != "" {
		if !rules.HeaderSafe(key) {
			return envError(envTryvoxAPIKey, "has spaces or control characters")
		}
		if !rules.HeaderSafe(tenant) {
			return envError(envTryvoxTenantID, "has spaces or control characters")
		}
		opts = append(opts, WithTryvoxKey(key, tenant))
	}
	user, password, err := envPair(getenv, envDotdigitalUser, envDotdigitalPass)
	if err != nil {
		return err
	}
	if user != "" {
		if !rules.BasicUser(user) {
			return envError(envDotdigitalUser, "has a colon, spaces or control characters")
		}
		opts = append(opts, WithDotdigitalAuth(user, password))
	}
	if base := getenv(envOTPKitBaseURL); base != "" {
		if _, err := parseBaseURL("WithEnv", base); err != nil {
			// parseBaseURL's message would repeat the URL.
			return envError(envOTPKitBaseURL, "must be an absolute http or https URL without credentials, query or fragment")
		}
		opts = append(opts, WithBaseURL(base))
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return err // checked above; an option's message never holds a value
		}
	}
	return nil
}

// envPair reads two variables that only work together: both unset is
// fine (the provider is skipped), one without the other is an error.
func envPair(getenv func(string) string, first, second string) (string, string, error) {
	a, b := getenv(first), getenv(second)
	switch {
	case a != "" && b == "":
		return "", "", envError(second, "is not set, but "+first+" is")
	case a == "" && b != "":
		return "", "", envError(first, "is not set, but "+second+" is")
	}
	return a, b, nil
}

func envError(name, reason string) error {
	return fmt.Errorf("otpkit: WithEnv: %s %s", name, reason)
}

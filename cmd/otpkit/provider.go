package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/safetext"
)

// providerFlags are the flags every provider command has.
type providerFlags struct {
	baseURL string
	json    bool
	timeout time.Duration
}

// providerFlags defines --base-url, --json and --timeout on fs.
func (fs *flagSet) providerFlags() *providerFlags {
	p := new(providerFlags)
	fs.StringVar(&p.baseURL, "base-url", "", "send the call to this URL instead of the provider's, e.g. the mock's (default $"+envBaseURL+")")
	fs.BoolVar(&p.json, "json", false, "print the API object as JSON (the provider's wire form) instead of a summary")
	fs.DurationVar(&p.timeout, "timeout", 0, "how long the call may take, retries included (default 30s; dotdigital 130s)")
	return p
}

// credentials maps each provider to the environment variables it needs and
// the client option they make.
var credentials = map[otpkit.Provider]struct {
	vars   []string
	option func(values []string) otpkit.Option
}{
	otpkit.ProviderLOX24: {[]string{envLOX24}, func(v []string) otpkit.Option {
		return otpkit.WithLOX24Token(v[0])
	}},
	otpkit.ProviderTryvox: {[]string{envTryvoxKey, envTryvoxTen}, func(v []string) otpkit.Option {
		return otpkit.WithTryvoxKey(v[0], v[1])
	}},
	otpkit.ProviderDotdigital: {[]string{envDDUser, envDDPass}, func(v []string) otpkit.Option {
		return otpkit.WithDotdigitalAuth(v[0], v[1])
	}},
}

// client builds the otpkit client for provider p from the environment and
// the flags. A missing or malformed variable is a usage error that names the
// variable, never its value.
func (c *cli) client(fs *flagSet, pf *providerFlags, p otpkit.Provider) (*otpkit.Client, error) {
	cred := credentials[p]
	values := make([]string, len(cred.vars))
	var missing []string
	for i, name := range cred.vars {
		if values[i] = c.env(name); values[i] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, usagef(fs.cmd, "%s not set in the environment", strings.Join(missing, " and "))
	}

	// Each option is tried alone first so that the error can say which
	// variable or flag holds the unusable value.
	type source struct {
		name string
		opt  otpkit.Option
	}
	sources := []source{{strings.Join(cred.vars, "/"), cred.option(values)}}
	if u, from := pf.baseURL, "--base-url"; u != "" || c.env(envBaseURL) != "" {
		if u == "" {
			u, from = c.env(envBaseURL), envBaseURL
		}
		sources = append(sources, source{from, otpkit.WithBaseURL(u)})
	}
	if pf.timeout != 0 {
		sources = append(sources, source{"--timeout", otpkit.WithTimeout(pf.timeout)})
	}
	opts := []otpkit.Option{otpkit.WithUserAgent("otpkit-cli")}
	for _, s := range sources {
		if _, err := otpkit.NewClient(s.opt); err != nil {
			return nil, usagef(fs.cmd, "%s: %s", s.name, optionReason(err))
		}
		opts = append(opts, s.opt)
	}
	return otpkit.NewClient(opts...)
}

// optionReason drops the "otpkit: WithX: " prefix of an option's error, which
// names a Go function the command-line user never sees.
func optionReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "otpkit: ")
	if _, after, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "With") {
		return after
	}
	return msg
}

// printJSON writes v indented. The otpkit models marshal to the provider's
// wire form, so this is what the API returned, not a Go struct dump.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // templates such as {{code}} stay readable; <, > and & as typed
	return enc.Encode(v)
}

// printFields writes name/value pairs as an aligned, human-readable block.
// Empty values are skipped; the values, which come from the provider, are
// shown as one line each, without control characters and cut (see show).
func printFields(w io.Writer, pairs ...string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", pairs[i], show(pairs[i+1]))
		}
	}
	tw.Flush()
}

// show is a provider's value as a summary prints it: one line, no control
// characters, at most 200 bytes. (--json prints the API object whole.)
func show(s string) string { return safetext.Clean(s, 200) }

// formatTime renders a timestamp for a summary: UTC, seconds, or "" when
// the provider did not send one.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// deref returns *p, or "" for nil.
func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// codeNote describes a code in a summary without showing it: the code is
// the secret the user proves possession of, and a terminal's scrollback,
// screen share or CI log is no place for it. --json prints the API object
// whole for scripts that need the code.
func codeNote(code *string) string {
	if code == nil {
		return "deleted by the provider"
	}
	return fmt.Sprintf("%d digits, hidden (--json shows it)", len(*code))
}

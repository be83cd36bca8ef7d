package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/internal/safetext"
)

// Exit statuses. Scripts tell a usage mistake (fix the command line) from a
// provider or network failure (look at the message) by them.
const (
	exitOK      = 0
	exitFailure = 1 // a provider or network error, or a code that did not verify
	exitUsage   = 2 // unknown command or flag, missing flag, argument or variable
)

// The environment the provider commands read, and "otpkit mock" prints.
const (
	envBaseURL   = "OTPKIT_BASE_URL"
	envLOX24     = "LOX24_TOKEN"
	envTryvoxKey = "TRYVOX_API_KEY"
	envTryvoxTen = "TRYVOX_TENANT_ID"
	envDDUser    = "DOTDIGITAL_USERNAME"
	envDDPass    = "DOTDIGITAL_PASSWORD"
)

const programName = "otpkit"

// cli is what every command runs with. Nothing in it is global, so tests
// run many commands in parallel in one process.
type cli struct {
	ctx    context.Context
	env    func(string) string
	stdout io.Writer
	stderr io.Writer
}

// subcommand is one leaf command such as "lox24 create".
type subcommand struct {
	name    string
	summary string
	run     func(c *cli, args []string) error
}

// group is a provider's set of subcommands, such as "lox24".
type group struct {
	name    string
	summary string
	help    string
	subs    []subcommand
}

// groups lists the provider commands in the order the help shows them.
var groups = []group{
	{name: "lox24", summary: "LOX24 verify codes (delivery over telegram, voice, sms)",
		help: "LOX24 only delivers a code; it has no check call. Compare what the user typed with\n" +
			"the code you chose, or with the code field of 'otpkit lox24 get ID --json'.\n" +
			"Credentials: " + envLOX24 + " (\"<clientId>:<apiKey>\").",
		subs: []subcommand{
			{"create", "deliver a verify code over a routing strategy", (*cli).lox24Create},
			{"get", "show one verify code: status, history, cost", (*cli).lox24Get},
			{"list", "list verify codes, newest first, 30 a page", (*cli).lox24List},
		}},
	{name: "tryvox", summary: "Tryvox verify (sms, voice, whatsapp, email)",
		help: "A verification expires after 10 minutes and allows 5 checks.\n" +
			"Credentials: " + envTryvoxKey + " (tvx_sk_…) and " + envTryvoxTen + " (acc_…).",
		subs: []subcommand{
			{"start", "send a code and start a verification", (*cli).tryvoxStart},
			{"status", "show a verification's status and attempts", (*cli).tryvoxStatus},
			{"check", "check the code the user entered", (*cli).tryvoxCheck},
		}},
	{name: "dotdigital", summary: "dotdigital CPaaS Verify (sms)",
		help: "A requestId is single use: once verified, locked (5 wrong codes) or expired it is gone.\n" +
			"Credentials: " + envDDUser + " and " + envDDPass + " (HTTP Basic).",
		subs: []subcommand{
			{"send", "send a 6-digit code", (*cli).dotdigitalSend},
			{"validate", "validate the code the user entered", (*cli).dotdigitalValidate},
		}},
}

// run executes the command line args (without the program name) and returns
// the exit status. main is a thin wrapper around it so that tests run every
// command in process with their own environment and output.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	// Everything printed passes a filter that drops control characters: a
	// provider's text must not repaint the terminal (a green "approved"
	// over a failure) whatever path it takes to the output.
	c := &cli{ctx: ctx, env: env, stdout: safetext.NewWriter(stdout), stderr: safetext.NewWriter(stderr)}
	return c.exit(c.dispatch(args))
}

// dispatch finds the command args name and runs it.
func (c *cli) dispatch(args []string) error {
	if len(args) == 0 {
		c.topUsage(c.stderr)
		return errUsageShown
	}
	switch name, rest := args[0], args[1:]; name {
	case "-h", "-help", "--help":
		c.topUsage(c.stdout)
		return nil
	case "help":
		return c.help(rest)
	case "version", "--version":
		return c.version(rest)
	case "demo":
		return c.demo(rest)
	case "mock":
		return c.mock(rest)
	case "number":
		return c.number(rest)
	case "policy":
		return c.policy(rest)
	default:
		for _, g := range groups {
			if g.name == name {
				return c.runGroup(g, rest)
			}
		}
		return usagef(programName, "unknown command %q", name)
	}
}

// runGroup runs one subcommand of g.
func (c *cli) runGroup(g group, args []string) error {
	path := programName + " " + g.name
	if len(args) == 0 {
		c.groupUsage(c.stderr, g)
		return errUsageShown
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		c.groupUsage(c.stdout, g)
		return nil
	}
	for _, s := range g.subs {
		if s.name == args[0] {
			return s.run(c, args[1:])
		}
	}
	return usagef(path, "unknown command %q", args[0])
}

// help implements "otpkit help [command [subcommand]]" by running the named
// command with --help, so there is one help text per command.
func (c *cli) help(args []string) error {
	if len(args) == 0 {
		c.topUsage(c.stdout)
		return nil
	}
	if len(args) > 2 {
		return usagef(programName+" help", "too many arguments")
	}
	return c.dispatch(append(append([]string{}, args...), "--help"))
}

func (c *cli) version(args []string) error {
	fs := c.newFlags("version", "", "Print the version of otpkit.")
	if _, err := fs.parse(c, args); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, programName, otpkit.Version)
	return nil
}

func (c *cli) topUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`otpkit calls the LOX24, Tryvox and dotdigital phone-verification APIs, and
serves a mock of all three for tests.

Usage: otpkit COMMAND [SUBCOMMAND] [flags] [arguments]

Commands:
`)
	for _, g := range groups {
		fmt.Fprintf(&b, "  %-11s %s\n", g.name, g.summary)
		for _, s := range g.subs {
			fmt.Fprintf(&b, "    %-9s %s\n", s.name, s.summary)
		}
	}
	fmt.Fprintf(&b, `  %-11s %s
  %-11s %s
  %-11s %s
  %-11s %s
  %-11s %s
  %-11s %s

The provider commands read their credentials from the environment:
  %s, %s, %s,
  %s, %s
and the base URL from --base-url or %s (default: each provider's own).
"otpkit mock" prints all of them for its own address, in a form a shell can source.

Exit status: 0 success, 1 provider or network error, 2 usage error.
Run 'otpkit COMMAND --help' for a command's flags.
`, "demo", "run every flow against an embedded mock and print a transcript",
		"mock", "serve the mock of the three APIs (and /_mock/ controls) over HTTP",
		"number", "read a phone number: E.164 form, region, type, what the default policy allows",
		"policy", "print verify's rules with their defaults and the reason for each",
		"version", "print the version",
		"help", "show the help of a command, e.g. 'otpkit help tryvox start'",
		envLOX24, envTryvoxKey, envTryvoxTen, envDDUser, envDDPass, envBaseURL)
	io.WriteString(w, b.String())
}

func (c *cli) groupUsage(w io.Writer, g group) {
	fmt.Fprintf(w, "otpkit %s: %s\n\nUsage: otpkit %s SUBCOMMAND [flags] [arguments]\n\nSubcommands:\n", g.name, g.summary, g.name)
	for _, s := range g.subs {
		fmt.Fprintf(w, "  %-9s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\n%s\n\nRun 'otpkit %s SUBCOMMAND --help' for its flags.\n", g.help, g.name)
}

// exit reports err the way its kind asks for and returns the exit status.
// Provider errors print their own text: otpkit's errors never contain a
// credential or a code.
func (c *cli) exit(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case errors.Is(err, errUsageShown):
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "%s: %s\n", ue.cmd, ue.msg)
		fmt.Fprintf(c.stderr, "Run '%s --help' for usage.\n", ue.cmd)
		return exitUsage
	default:
		fmt.Fprintln(c.stderr, err)
		return exitFailure
	}
}

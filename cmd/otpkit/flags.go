package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// usageError is a mistake on the command line: exit status 2, the message
// on stderr with a pointer to the command's help.
type usageError struct {
	cmd string // "otpkit lox24 create"
	msg string
}

// Error implements error.
func (e *usageError) Error() string { return e.cmd + ": " + e.msg }

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// errUsageShown is a usage error whose usage text was already printed
// (a group called without a subcommand).
var errUsageShown = errors.New("usage shown")

// errHelpShown ends a command after its --help text: exit status 0.
var errHelpShown = errors.New("help shown")

// flagSet is a flag.FlagSet that knows its command's help text and takes
// flags before, between and after the positional arguments.
type flagSet struct {
	*flag.FlagSet
	cmd      string   // "otpkit tryvox check"
	args     []string // positional argument names, e.g. ID CODE
	synopsis string   // flags part of the usage line
	about    string
}

// newFlags makes the flag set of the command "otpkit name". synopsis shows
// the flags in the usage line, about is the help text; argNames are the
// exact positional arguments the command takes.
func (c *cli) newFlags(name, synopsis, about string, argNames ...string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print errors and usage itself, to one writer;
	// parse prints help to stdout and errors to stderr instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, cmd: programName + " " + name, args: argNames, synopsis: synopsis, about: about}
}

// parse parses args and returns the positional arguments, exactly as many as
// the command takes. --help prints the help to stdout and returns
// errHelpShown; a bad flag or argument count is a usage error.
func (fs *flagSet) parse(c *cli, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printHelp(c.stdout)
				return nil, errHelpShown
			}
			// The flag package names flags with one dash; the help uses two.
			msg := strings.NewReplacer(": -", ": --", "flag -", "flag --").Replace(err.Error())
			return nil, &usageError{cmd: fs.cmd, msg: msg}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...) // everything after "--" is an argument
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != len(fs.args) {
		if len(fs.args) == 0 {
			return nil, usagef(fs.cmd, "unexpected argument %q", pos[0])
		}
		return nil, usagef(fs.cmd, "want %d argument(s), %s; got %d", len(fs.args), strings.Join(fs.args, " "), len(pos))
	}
	return pos, nil
}

// required reports a usage error naming the first flag that is empty.
func (fs *flagSet) required(names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			return usagef(fs.cmd, "missing required flag --%s", n)
		}
	}
	return nil
}

// printHelp writes the usage line, the help text and the flags with GNU
// style double dashes (the flag package accepts one or two).
func (fs *flagSet) printHelp(w io.Writer) {
	line := fs.cmd
	if fs.synopsis != "" {
		line += " " + fs.synopsis
	}
	if len(fs.args) > 0 {
		line += " " + strings.Join(fs.args, " ")
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", line, strings.TrimSpace(fs.about))
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		typ, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if typ != "" {
			head += " " + typ
		}
		fmt.Fprintf(w, "%s\n      %s", head, usage)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	fmt.Fprintln(w, "  -h, --help\n      show this help")
}

// secondsValue is a flag holding whole seconds, given as "45" or as a Go
// duration such as "2m".
type secondsValue int

// String implements flag.Value; "" for the zero value, so help shows no default.
func (s *secondsValue) String() string {
	if s == nil || *s == 0 {
		return ""
	}
	return strconv.Itoa(int(*s))
}

// Set implements flag.Value.
func (s *secondsValue) Set(v string) error {
	if n, err := strconv.Atoi(v); err == nil {
		*s = secondsValue(n)
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want seconds (45) or a duration (2m)")
	}
	if d%time.Second != 0 {
		return errors.New("want whole seconds")
	}
	*s = secondsValue(d / time.Second)
	return nil
}

// hostList is a repeatable flag of host names, as mock.WithAllowedHosts
// takes them: no scheme, port or path (an IPv6 address may be bracketed).
type hostList []string

// String implements flag.Value.
func (h *hostList) String() string {
	if h == nil {
		return ""
	}
	return strings.Join(*h, ",")
}

// Set implements flag.Value, refusing what mock.WithAllowedHosts would
// panic on.
func (h *hostList) Set(v string) error {
	if v == "" || strings.ContainsAny(v, "/:@ []") && !ipv6Literal(v) {
		return errors.New("want a host name without scheme, port or path, e.g. mock")
	}
	*h = append(*h, v)
	return nil
}

// ipv6Literal reports whether s is an IPv6 address, bracketed or not.
func ipv6Literal(s string) bool {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return err == nil && a.Is6()
}

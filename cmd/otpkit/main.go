// Command otpkit calls the LOX24, Tryvox and dotdigital verification APIs
// from the shell, runs a demo of every flow against an embedded mock, and
// serves that mock on its own for CI pipelines in any language. It also
// reads phone numbers as package verify does (otpkit number) and prints
// verify's default rules with their reasons (otpkit policy).
//
// Run "otpkit --help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGINT and SIGTERM cancel the context: a provider call stops, and
	// "otpkit mock" shuts its server down cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

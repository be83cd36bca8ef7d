// Package verify runs phone verification the way an app in production needs
// it: limits on sending against SMS pumping (toll fraud), attempt limits and
// expiry for every code whatever provider sent it, and a failure budget per
// recipient that no resend resets.
//
// The Guard holds the rules; a Store holds the state. MemoryStore keeps it in
// one process; package redisstore keeps it in Redis so that every instance of
// an app behind a load balancer enforces the same limits. The Guard hands the
// store pseudonyms (HMACs under its secret) of recipients and addresses, so a
// store holds no personal data in clear.
//
// The Guard fails closed: when its Store fails (Redis down, a timeout), Check
// returns an error satisfying ErrStore and never verifies a code, and
// AllowSend returns one and never allows a send.
//
// The Service runs the whole flow over the providers on a Guard: Send reads
// the number (ParseNumber), refuses number types and countries the Limits
// exclude, applies the send rules once (with the conversion guard, which
// stops sends to countries and prefixes whose codes are not verified) and
// sends through Tryvox, dotdigital or LOX24 in failover order (moving on only
// when the answer proves nothing went out, and giving the send back to the
// limits when no provider sent anything); Check reserves an attempt and a
// failure before it asks the provider that sent the code and answers in the
// Guard's vocabulary. Its refs live in the same Store, so any instance can
// check what another sent.
//
// WithObserver reports every decision and provider call as an Event, to
// slog (NewSlogObserver) or OpenTelemetry (package otelverify).
package verify

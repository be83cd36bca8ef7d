// Package verify runs phone verification the way an app in production needs
// it: limits on sending against SMS pumping (toll fraud), attempt limits and
// expiry for the codes the app checks itself, and a failure budget per
// recipient that no resend resets.
//
// The Guard holds the rules; a Store holds the state. MemoryStore keeps it in
// one process; package redisstore keeps it in Redis so that every instance of
// an app behind a load balancer enforces the same limits.
//
// The Guard fails closed: when its Store fails (Redis down, a timeout), Check
// returns an error and never verifies a code, and AllowSend returns an error
// and never allows a send.
package verify

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
//
// The Service runs the whole flow over the providers on a Guard: Send
// applies the send rules once and sends through Tryvox, dotdigital or LOX24
// in failover order (moving on only when the answer proves nothing went
// out); Check checks with the provider that sent the code and answers in
// the Guard's vocabulary, counting every wrong code in one failure budget.
// Its refs live in the same Store, so any instance can check what another
// sent.
package verify

// Package mock is a stateful, in-memory stand-in for the three phone
// verification APIs otpkit wraps: LOX24 verify codes, Tryvox verify and
// dotdigital CPaaS Verify. It serves all three on one host (their paths do
// not overlap), with the request rules, error bodies and lifecycles that
// docs/wire.md in the repository describes, so a test can walk every flow,
// including the failures a real provider produces only rarely.
//
//	srv := mock.NewServer()
//	t.Cleanup(srv.Close)
//	client, _ := srv.Client()
//	v, _ := client.StartVerification(ctx, &otpkit.StartVerificationRequest{To: "+4917012345678", Channel: otpkit.ChannelSMS})
//	code, _ := srv.CodeFor(v.ID) // what the user received for this verification
//	_, err := client.CheckCode(ctx, v.ID, code)
//	srv.Advance(11 * time.Minute) // the mock's clock: the next check is ErrNotFound
//
// NewHandler gives the same thing as an http.Handler, for embedding and for
// a standalone server (otpkit mock).
//
// # What the mock adds for tests
//
//   - A clock (Now, Advance, WithClock) that all expiry, LOX24 delivery
//     progress, rate-limit windows and IP blocks follow. Nothing runs in the
//     background: state catches up with the clock whenever it is read.
//   - An outbox (Messages, CodeFor, LastCode): every code "sent", with its
//     text. CodeFor finds the code of one flow by the id its call returned;
//     LastCode the newest to a recipient, from any provider.
//   - A request log (Requests): method, path, provider, status, time.
//   - Scripting: delivery outcomes per recipient and channel (SetOutcome),
//     dotdigital numberStatus (SetNumberStatus), the LOX24 account
//     (WithBalance, SetBalance, WithAccountInactive, WithSenderIDs) and
//     faults on routes (InjectFault: a status with Retry-After, latency, a
//     dropped connection, an answer lost or held after the provider acted,
//     for the next Count requests).
//   - Reset, to start over without a new server.
//
// # Behaviour where the providers' documents are silent
//
//   - LOX24: every step of a routing strategy takes 1 s on the mock's clock;
//     a telegram step that fails takes its timeout_sec (default 30). A
//     step that delivered or failed is charged (telegram 5, voice 15, sms 8
//     cents, EUR); a step that errored is not. The create response shows
//     status 0 New; from then on the code is 5 In Progress until its final
//     status. The balance check reserves the cost of every step. More than
//     3 requests with a bad token from one IP within 60 s block that IP for
//     10 minutes: the request that crosses the line is already 429, and
//     every 429 carries Retry-After (the rest of the block). GET
//     /verify_codes?page=N: page 1 when absent, 400 "Page should not be
//     less than 1." when not a positive integer, an empty array past the
//     end. Verify codes are forgotten 24 h after creation.
//   - Tryvox: the start rate limit counts successful starts per tenant and
//     recipient; 429 RATE_LIMITED carries Retry-After. A verification is
//     forgotten 1 h after it expired (GET then answers 404).
//   - dotdigital: validUntil is read against the host's clock, as the
//     client that computed it did (must be in the future and at most 24 h
//     ahead), and the validity it gives is then counted on the mock's
//     clock. So a code sent with validUntil = time.Now()+5m expires after
//     Advance(5 * time.Minute), even with a WithClock start far from today.
//     A code nobody validated is forgotten 24 h after its
//     validUntil (a validate then answers 204 rather than CodeExpired).
//   - A request whose method does not fit a known path is 405 with an
//     Allow header; an unknown path under a provider's prefix is that
//     provider's 404; a body over 1 MiB is 413, all in the provider's
//     error shape.
//
// # The /_mock/ control API
//
// The Handler also serves its controls as JSON over HTTP, for a CI pipeline
// in any language. These requests are not logged and faults never apply to
// them. Field names are snake_case; times are RFC 3339 with nanoseconds;
// durations are Go duration strings ("2s", "10m") or numbers of seconds.
// Every error is {"error":"…"} with a 4xx status (400 for bad JSON or
// unknown fields, 404 for an unknown control, 405 with Allow for a wrong
// method).
//
//	GET    /_mock/health            {"status":"ok","now":"…"}
//	GET    /_mock/messages[?to=R][&id=ID]
//	                                [{"id","provider","channel","to","code","text","time"}], oldest first;
//	                                id: the messages sent for one provider id (see CodeFor)
//	GET    /_mock/requests          [{"method","path","provider","status","time","fault"}], oldest first
//	GET    /_mock/clock             {"now":"…"}
//	POST   /_mock/clock             {"advance":"10m"} → {"now":"…"} (the new now)
//	GET    /_mock/faults            [{"route",…,"remaining":n}]
//	POST   /_mock/faults            {"route":"POST /v1/verify/start","status":503,"retry_after":"2s",
//	                                 "delay":"100ms","drop_connection":false,"count":1,"after_handler":false} → 201
//	DELETE /_mock/faults            removes every fault
//	POST   /_mock/outcomes          {"recipient":"+4917012345678","channel":"sms","outcome":"failed"}
//	                                (outcome: "delivered", "failed" or "error")
//	POST   /_mock/number_status     {"recipient":"447123123456","status":"Valid"}
//	GET    /_mock/account           {"balance_cents":n,"balance_limited":bool,"inactive":bool}
//	POST   /_mock/account           {"balance_cents":100} and/or {"inactive":true} → the account
//	GET    /_mock/stats             the Stats counts
//	POST   /_mock/reset             forgets everything (see Reset)
//	POST   /_mock/shutdown          {"status":"ok"}, then a standalone "otpkit mock" exits 0
//	                                (see ShutdownRequested)
//
// With after_handler, a delay holds the provider's answer after it acted
// (see Fault.Delay).
//
// Successful POSTs without a more useful answer return {"status":"ok"}.
package mock

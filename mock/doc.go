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
//     LastCode the newest to a recipient, from any provider. Both are
//     lookups in an index, as fast with a full outbox as with an empty one.
//   - A request log (Requests): method, path, provider, status, time.
//   - Scripting: delivery outcomes per recipient and channel (SetOutcome),
//     dotdigital numberStatus (SetNumberStatus), the LOX24 account
//     (WithBalance, SetBalance, WithAccountInactive, WithSenderIDs) and
//     faults on routes (InjectFault: a status with Retry-After, latency, a
//     dropped connection, an answer lost or held after the provider acted,
//     for the next Count requests).
//   - LOX24 webhooks (WithLOX24Webhook, SetLOX24Webhook, Webhooks): the
//     verify_code.* events sent to an app's endpoint as delivery happens,
//     with retries, and a log of every attempt.
//   - Reset, to start over without a new server.
//
// # Behaviour where the providers' documents are silent
//
//   - LOX24: every step of a routing strategy takes 1 s on the mock's clock;
//     a telegram step that fails takes its timeout_sec (default 30). A
//     step tried is charged, whether it delivered, failed or errored
//     (telegram 5, voice 15, sms 8 cents, EUR). The create response shows
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
//   - LOX24 webhooks, once a URL is set: for each verify code,
//     verify_code.channel.updated (0 → 5) and verify_code.channel.sent of
//     the first step when it is created; for each step that ends,
//     verify_code.channel.success or verify_code.channel.failed, then
//     verify_code.channel.sent of the next step or the final
//     verify_code.success or verify_code.failed (a code that ended in 100
//     Error also ends with verify_code.failed: its data says status 100,
//     and its channel.failed says "processing error"). Events are made
//     when they happen, on the mock's clock, with the envelope LOX24
//     documents (attempt_total 4) and data as GET answers at that moment
//     (channel events add the step: its history entry, error_message when
//     it failed, cost once it ended). Events go to the URL set when they
//     happened; setting another (or "") changes only later events.
//   - Webhook delivery: a 2xx answer is success; any other answer, a
//     refused connection or no answer within 10 s (real time) is retried
//     with the same id and notification_task_id and the next
//     attempt_number, 1, 5 and 30 minutes (mock time) after the previous
//     attempt, at most 4 attempts. Nothing runs in the background: a
//     delivery that falls due is attempted before the call that made it due
//     returns (a LOX24 create sends its first events before answering;
//     Advance moves the clock from one due delivery to the next and sends
//     each when the clock reads its time), and never while the mock holds
//     its state lock, so the receiver may call the mock back. One goroutine
//     sends at a time; a call made while another goroutine is sending (a
//     receiver calling back, or a concurrent request of the test) does not
//     wait for the deliveries it makes due: the sending goroutine sends them
//     next, in order. The events of one verify code are sent in the order
//     they happened, retries included: while one waits for its retry, the
//     code's later events wait behind it (events of other codes do not),
//     and go out once it was delivered or given up. With a real clock,
//     DeliverWebhooks sends what fell due meanwhile (otpkit mock calls it
//     five times a second). Webhooks lists the last DefaultRingSize
//     attempts; Reset forgets queued deliveries and the log.
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
// Every request but GET sends Content-Type: application/json, with or
// without a body (curl -H 'Content-Type: application/json'). Every error is
// {"error":"…"} with a 4xx status (400 for bad JSON or unknown fields, 403
// for a refused Host or Origin, 404 for an unknown control, 405 with Allow
// for a wrong method, 415 without the JSON Content-Type).
//
//	GET    /_mock/health            {"status":"ok","now":"…"}
//	GET    /_mock/messages[?to=R][&id=ID]
//	                                [{"id","provider","channel","to","code","text","time"}], oldest first;
//	                                id: the messages sent for one provider id (see CodeFor);
//	                                by id or recipient the cost is that of the matches, not of the outbox
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
//	GET    /_mock/webhooks          [{"event_id","name","url","attempt","status","error","time"}], oldest first
//	POST   /_mock/webhooks          {"url":"https://app.example/hooks/lox24?token=…"} → {"url":…} ("" stops sending)
//	GET    /_mock/stats             the Stats counts
//	POST   /_mock/reset             forgets everything (see Reset)
//	POST   /_mock/shutdown          {"status":"ok"}, then a standalone "otpkit mock" exits 0
//	                                (see ShutdownRequested)
//
// With after_handler, a delay holds the provider's answer after it acted
// (see Fault.Delay).
//
// Successful POSTs without a more useful answer return {"status":"ok"}.
//
// # What keeps a browser out
//
// The controls have no authentication (anyone who reaches them reads the
// codes), so the mock refuses what a web page open in the developer's
// browser could send it:
//
//   - A /_mock/ request other than GET without Content-Type:
//     application/json is 415. A page can post a form or text/plain to
//     another site without asking; JSON needs a CORS preflight, which the
//     mock never grants.
//   - A /_mock/ request with an Origin header other than the mock's own
//     (the scheme and Host it was reached with) is 403, "null" included.
//     curl and HTTP libraries send no Origin.
//   - DNS rebinding (a page whose own name now resolves to 127.0.0.1): a
//     request that came through a net/http server (NewServer, otpkit mock,
//     or NewHandler behind the app's own server) is answered, on any path,
//     only when its Host names the mock by a loopback name (localhost,
//     *.localhost, 127.0.0.0/8, [::1]), by the IP address the connection
//     arrived on (the bound address, or for a wildcard listener the address
//     the client dialled: an IP literal cannot be rebound), or by a name
//     given to WithAllowedHosts (otpkit mock --allow-host); 403 otherwise.
//     A Handler called directly (a test's ServeHTTP with a recorder) has no
//     connection and skips this rule.
package mock

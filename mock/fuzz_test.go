package mock

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The seed documents' examples, as (method, path, body). {tv}, {lox} and
// {dd} in a path or body stand for the ids of a live Tryvox verification,
// LOX24 verify code and dotdigital requestId, {code} for the Tryvox code.
var fuzzSeeds = [][3]string{
	{"POST", "/verify_codes", `{"phone":"+491701234567","code":"1234","is_code_deleted":false,"payload":"yours payload here","lang":"EN","routing_strategy":[{"channel":"telegram","timeout_sec":30},{"channel":"voice","sender_id":"LOX24","template":"Your code is {{code}}"},{"channel":"sms","sender_id":"LOX24","template":"Your code is {{code}}"}]}`},
	{"GET", "/verify_codes/d7ad7539-fb8f-4dbb-a7f7-7c40babec969", ``},
	{"GET", "/verify_codes/{lox}", ``},
	{"GET", "/verify_codes?page=2", ``},
	{"POST", "/verify_codes", `{"phone":1,"routing_strategy":[{"channel":"sms","timeout_sec":"x"},null,[]]}`},
	{"POST", "/v1/verify/start", `{"to":"+919876543210","channel":"sms"}`},
	{"POST", "/v1/verify/start", `{"to":"a@b.io","channel":"email","code_length":8,"custom_message":"{{code}}","locale":"de","app_name":"x"}`},
	{"GET", "/v1/verify/ver_abc123", ``},
	{"GET", "/v1/verify/{tv}", ``},
	{"POST", "/v1/verify/check", `{"verification_id":"ver_abc123","code":"123456"}`},
	{"POST", "/v1/verify/check", `{"verification_id":"{tv}","code":"{code}"}`},
	{"POST", "/v1/verify/check", `{"verification_id":"{tv}","code":"000000"}`},
	{"POST", "/webapi/verify", `{"to":"447123123456","from":"Shop","countryIsoCode":"GBR","body":"{{code}} {{validMinutes}}","validUntil":"2026-04-09T10:05:00.000Z"}`},
	{"PUT", "/WebApi/Verify/0D5C94D4-DF1F-4FC8-82D2-1F64EA548704/validate", `{"code":"12345"}`},
	{"PUT", "/WebApi/Verify/{dd}/validate", `{"code":""}`},
	{"PUT", "/webapi/verify/{dd}/validate", `{"code":{}}`},
	{"POST", "/_mock/faults", `{"route":"/v1/verify/{id}","status":503,"retry_after":"2s"}`},
	{"POST", "/_mock/clock", `{"advance":"10m"}`},
	{"POST", "/_mock/outcomes", `{"recipient":"+491701234567","channel":"sms","outcome":"error"}`},
	{"GET", "/_mock/messages?to=%2B491701234567", ``},
	{"POST", "/_mock/webhooks", `{"url":"http://127.0.0.1:1/hook?token=x"}`},
	{"GET", "/_mock/messages?id={tv}", ``},
	{"POST", "/_mock/shutdown", ``},
	{"POST", "/_mock/faults", `{"route":"/v1/verify/start","delay":"1ms","after_handler":true}`},
	{"DELETE", "/v1/verify/start", `[`},
}

// FuzzHandler sends an arbitrary request to a handler that holds one live
// item of each provider and checks that it never answers 5xx (the recover
// middleware turns a panic into a 500, so this catches panics too).
func FuzzHandler(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s[0], s[1], s[2], uint8(i)|8)
	}
	f.Fuzz(func(t *testing.T, method, target, body string, auth uint8) {
		h := NewHandler(WithClock(t0))
		ids := prime(t, h)
		for k, v := range ids {
			target = strings.ReplaceAll(target, k, v)
			body = strings.ReplaceAll(body, k, v)
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			u = &url.URL{Path: target}
		}
		req := (&http.Request{Method: method, URL: u, Header: http.Header{}, RemoteAddr: "192.0.2.1:4321",
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}).WithContext(context.Background())
		if auth&1 != 0 {
			req.Header.Set("X-LOX24-AUTH-TOKEN", LOX24Token)
		}
		if auth&2 != 0 {
			req.Header.Set("Authorization", "Bearer "+TryvoxAPIKey)
			req.Header.Set("X-Tenant-ID", TryvoxTenantID)
		}
		if auth&4 != 0 {
			req.SetBasicAuth(DotdigitalUsername, DotdigitalPassword)
		}
		if auth&8 != 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q %q: %d %s", method, target, body, rec.Code, rec.Body)
		}
		// The state is still consistent enough to serve and report.
		_ = h.Stats()
		_ = h.Messages()
	})
}

// prime creates one item per provider and returns the placeholders' values.
func prime(t *testing.T, h *Handler) map[string]string {
	t.Helper()
	ids := map[string]string{}
	r := do(h, "POST", "/v1/verify/start", `{"to":"+919876543210","channel":"sms"}`, tryvoxAuth)
	if r.Status != 200 {
		t.Fatalf("prime: %d %s", r.Status, r.Body)
	}
	m, _ := h.LastMessage("+919876543210")
	ids["{tv}"], ids["{code}"] = m.ID, m.Code
	do(h, "POST", "/webapi/verify", `{"to":"447123123456"}`, ddAuth)
	m, _ = h.LastMessage("447123123456")
	ids["{dd}"] = m.ID
	do(h, "POST", "/verify_codes", `{"phone":"+491701234567","routing_strategy":[{"channel":"sms"}]}`, lox24Auth)
	h.Advance(2e9)
	m, _ = h.LastMessage("+491701234567")
	ids["{lox}"] = m.ID
	return ids
}

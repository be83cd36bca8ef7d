package otpkit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/otpkit/otpkit"
)

func BenchmarkParseLOX24Event(b *testing.B) {
	body := []byte(docWebhookEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := otpkit.ParseLOX24Event(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLOX24WebhookHandler: one delivery of a new event each time,
// through token check, body read, parse, claim, fn and done.
func BenchmarkLOX24WebhookHandler(b *testing.B) {
	h := otpkit.NewLOX24WebhookHandler(func(context.Context, *otpkit.LOX24Event) error { return nil },
		otpkit.WithWebhookToken(hookToken))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := strings.Replace(docWebhookEvent, "f47ac10b", strconv.Itoa(i), 1)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook?token="+hookToken, strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

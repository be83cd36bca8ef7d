package main

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/otpkit/otpkit/mock"
)

// webhookTick is how often the standalone mock sends the LOX24 webhook
// deliveries that fell due on its real clock while nobody asked it
// anything (a verify code's steps complete a second apart).
const webhookTick = 200 * time.Millisecond

// webhookOptions turns --lox24-webhook into mock options; a URL the mock
// would refuse is a usage error rather than a panic.
func webhookOptions(cmd, raw string) ([]mock.Option, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef(cmd, "--lox24-webhook must be an absolute http or https URL")
	}
	return []mock.Option{mock.WithLOX24Webhook(raw)}, nil
}

// deliverWebhooks calls h.DeliverWebhooks every webhookTick until the
// returned stop is called; stop waits for the goroutine to end.
func deliverWebhooks(h *mock.Handler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(webhookTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.DeliverWebhooks()
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// The Service's refs: saved records come back whole until their TTL by the
// Guard's clock, then never; delete forgets; refs are independent.

var _ = register("RefsSaveLoadDelete", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	now := newClock().Now()
	rec := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "vrf_01HX", Recipient: "+4917012345678",
		Channel: otpkit.ChannelWhatsApp, CodeLength: 6}
	other := verify.RefRecord{Provider: otpkit.ProviderDotdigital, ID: "8a0b6d0e-5b7c-4f7e-9a54-0d7a9e6b1c2d",
		Recipient: "+447700900123", Channel: otpkit.ChannelSMS, CodeLength: 6}

	_, err := s.LoadRef(ctx, now, "Ab3_-xYz0123456789abcd")
	require.ErrorIs(t, err, otpkit.ErrNotFound, "never saved")

	require.NoError(t, s.SaveRef(ctx, now, "Ab3_-xYz0123456789abcd", rec, 10*time.Minute))
	require.NoError(t, s.SaveRef(ctx, now, "ab3_-xYz0123456789abcd", other, 10*time.Minute))
	got, err := s.LoadRef(ctx, now, "Ab3_-xYz0123456789abcd")
	require.NoError(t, err)
	assert.Equal(t, rec, got, "a record comes back whole")
	got, err = s.LoadRef(ctx, now, "ab3_-xYz0123456789abcd")
	require.NoError(t, err)
	assert.Equal(t, other, got, "refs differing in case are different refs")

	require.NoError(t, s.DeleteRef(ctx, "Ab3_-xYz0123456789abcd"))
	_, err = s.LoadRef(ctx, now, "Ab3_-xYz0123456789abcd")
	require.ErrorIs(t, err, otpkit.ErrNotFound, "deleted")
	require.NoError(t, s.DeleteRef(ctx, "Ab3_-xYz0123456789abcd"), "deleting twice is no error")
	_, err = s.LoadRef(ctx, now, "ab3_-xYz0123456789abcd")
	require.NoError(t, err, "the other ref stays")
})

var _ = register("RefsExpireByTheGuardsClock", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	s := newStore(t)
	c := newClock()
	rec := verify.RefRecord{Provider: otpkit.ProviderLOX24, ID: "7c4f0b1e-0000-4000-8000-000000000001", Recipient: "+4917012345678",
		Channel: otpkit.ChannelTelegram, CodeLength: 8}
	require.NoError(t, s.SaveRef(ctx, c.Now(), "ref-expiry-000000000000", rec, 2*time.Minute))
	c.Advance(2*time.Minute - time.Millisecond)
	got, err := s.LoadRef(ctx, c.Now(), "ref-expiry-000000000000")
	require.NoError(t, err, "live until its TTL")
	assert.Equal(t, rec, got)
	c.Advance(time.Millisecond)
	_, err = s.LoadRef(ctx, c.Now(), "ref-expiry-000000000000")
	require.ErrorIs(t, err, otpkit.ErrNotFound, "gone at its TTL")

	// Saving again replaces the record and its TTL.
	require.NoError(t, s.SaveRef(ctx, c.Now(), "ref-expiry-000000000000", rec, time.Minute))
	rec2 := rec
	rec2.ID = "7c4f0b1e-0000-4000-8000-000000000002"
	c.Advance(30 * time.Second)
	require.NoError(t, s.SaveRef(ctx, c.Now(), "ref-expiry-000000000000", rec2, time.Minute))
	c.Advance(45 * time.Second)
	got, err = s.LoadRef(ctx, c.Now(), "ref-expiry-000000000000")
	require.NoError(t, err, "the second save's TTL counts")
	assert.Equal(t, rec2, got)
})

var _ = register("RefsAreNotGuardState", func(t *testing.T, newStore func(t *testing.T) verify.Store) {
	ctx := context.Background()
	store := newStore(t)
	c := newClock()
	g := guard(t, store, c, verify.Limits{})
	const phone = "+4917012345678"
	code, err := g.Issue(ctx, phone)
	require.NoError(t, err)
	rec := verify.RefRecord{Provider: otpkit.ProviderLOX24, ID: "x", Recipient: phone, CodeLength: 6}
	require.NoError(t, store.SaveRef(ctx, c.Now(), phone, rec, time.Minute), "a ref spelled like a recipient")
	require.NoError(t, store.DeleteRef(ctx, phone))
	require.NoError(t, g.Check(ctx, phone, code), "saving and deleting a ref leaves the recipient's code alone")
	_, err = store.LoadRef(ctx, c.Now(), phone)
	require.ErrorIs(t, err, otpkit.ErrNotFound)
})

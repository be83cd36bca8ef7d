package redisstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

func TestRefValueRoundTrip(t *testing.T) {
	full := verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "v-1, with: commas\x00and a NUL", Recipient: "pseudonym",
		Channel: otpkit.ChannelSMS, CodeLength: 8, Region: "DE", Country: "DE", Prefix: "prefix", Attempts: 3,
		Fingerprint: "fp", Ref: "ref", ExpiresAt: -42}
	for name, c := range map[string]struct {
		r       verify.RefRecord
		expires time.Time
	}{
		"every field":             {full, time.Date(2031, 3, 4, 5, 6, 7, 891_234_567, time.UTC)},
		"nothing but a provider":  {verify.RefRecord{Provider: otpkit.ProviderLOX24}, time.Unix(0, 0)},
		"before 1970, to the ns":  {full, time.Date(1701, 1, 2, 3, 4, 5, 6, time.UTC)},
		"on a whole millisecond":  {full, time.Date(2199, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
		"a long recipient and id": {verify.RefRecord{Recipient: string(make([]byte, 300)), ID: string(make([]byte, 70_000))}, time.Unix(1, 1)},
	} {
		v, err := refValue(c.r, c.expires)
		require.NoError(t, err, name)
		got, expires, err := parseRef(string(v))
		require.NoError(t, err, name)
		assert.Equal(t, c.r, got, name)
		assert.Equal(t, c.expires.UnixNano(), expires, name)
	}
}

func TestParseRefRefusesWhatIsNoRecord(t *testing.T) {
	v, err := refValue(verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "an id", Recipient: "r"}, time.Now())
	require.NoError(t, err)
	for _, bad := range []string{"", "short", string(v[:len(v)-1]), string(v) + "p", string(v) + "i\x05ab"} {
		_, _, err := parseRef(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func FuzzParseRef(f *testing.F) {
	v, _ := refValue(verify.RefRecord{Provider: otpkit.ProviderTryvox, ID: "id", Recipient: "r", CodeLength: 6}, time.Now())
	f.Add(string(v))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		r, expires, err := parseRef(s)
		if err != nil {
			return
		}
		// What it read, written again, reads the same.
		again, err := refValue(r, time.Unix(0, expires))
		require.NoError(t, err)
		r2, expires2, err := parseRef(string(again))
		require.NoError(t, err)
		assert.Equal(t, r, r2)
		assert.Equal(t, expires, expires2)
	})
}

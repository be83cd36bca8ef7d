package mock

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// The outbox's indexes answer exactly what a scan of the ring answers, through
// pushes that wrap the ring many times, with ids in any case and recipients
// with and without "+": the model is the ring alone, searched the way the
// mock searched before it had indexes.
func TestOutboxIndexesMatchAScan(t *testing.T) {
	for _, max := range []int{1, 2, 7, 64} {
		t.Run(fmt.Sprint("max=", max), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(max)))
			o := newOutbox(max)
			ids := []string{"ver_a1", "VER_A1", "Ver_b2", "ver_c3", "req-\u212a", "req-k", ""}
			tos := []string{"+4917000000001", "4917000000001", " +4917000000002", "A@Example.com", "a@example.com", ""}
			for i := range 20 * max {
				o.push(Message{ID: ids[rng.IntN(len(ids))], To: tos[rng.IntN(len(tos))], Code: fmt.Sprint(i)})
				held := o.snapshot()
				require.Len(t, held, min(i+1, max))
				for _, id := range ids {
					want, ok := scanLast(held, func(m Message) bool { return strings.EqualFold(m.ID, id) })
					got, gotOK := o.lastWithID(id)
					require.Equal(t, ok, gotOK, "lastWithID(%q) after %d pushes", id, i+1)
					require.Equal(t, want.Code, got.Code, "lastWithID(%q)", id)
					if id != "" {
						require.Equal(t, scanAll(held, func(m Message) bool { return strings.EqualFold(m.ID, id) }),
							codes(o.find(id, "")), "find(%q, any)", id)
					}
					for _, to := range tos {
						if id == "" || to == "" {
							continue
						}
						require.Equal(t, scanAll(held, func(m Message) bool {
							return strings.EqualFold(m.ID, id) && normRecipient(m.To) == normRecipient(to)
						}), codes(o.find(id, to)), "find(%q, %q)", id, to)
					}
				}
				for _, to := range tos {
					match := func(m Message) bool { return normRecipient(m.To) == normRecipient(to) }
					want, ok := scanLast(held, match)
					got, gotOK := o.lastTo(to)
					require.Equal(t, ok, gotOK, "lastTo(%q)", to)
					require.Equal(t, want.Code, got.Code, "lastTo(%q)", to)
					require.Equal(t, scanAll(held, match), codes(o.to(to)), "to %q", to)
				}
				require.Equal(t, codes(held), codes(o.find("", "")), "neither key: the whole outbox")
				// The indexes hold a key for each id and recipient held,
				// and nothing else.
				require.Equal(t, distinctKeys(held, func(m Message) string { return foldKey(m.ID) }), len(o.byID), "byID keys")
				require.Equal(t, distinctKeys(held, func(m Message) string { return normRecipient(m.To) }), len(o.byTo), "byTo keys")
			}
		})
	}
}

func scanLast(msgs []Message, match func(Message) bool) (Message, bool) {
	for i := len(msgs) - 1; i >= 0; i-- {
		if match(msgs[i]) {
			return msgs[i], true
		}
	}
	return Message{}, false
}

func scanAll(msgs []Message, match func(Message) bool) []string {
	var out []string
	for _, m := range msgs {
		if match(m) {
			out = append(out, m.Code)
		}
	}
	return out
}

func codes(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Code)
	}
	return out
}

func distinctKeys(msgs []Message, key func(Message) string) int {
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[key(m)] = true
	}
	return len(seen)
}

// One recipient that gets every message, through many wraps of the ring:
// its list is the last max messages, and the indexes hold one key per id
// and recipient still held.
func TestOutboxListsThroughWraps(t *testing.T) {
	o := newOutbox(100)
	for i := range 100_000 {
		o.push(Message{ID: fmt.Sprint("id", i), To: "+4917000000001", Code: fmt.Sprint(i)})
	}
	assert.Len(t, o.byTo, 1)
	assert.Len(t, o.byID, 100)
	msgs := o.to("4917000000001")
	require.Len(t, msgs, 100)
	assert.Equal(t, "99900", msgs[0].Code)
	assert.Equal(t, "99999", msgs[99].Code)
	_, ok := o.lastWithID("id99899")
	assert.False(t, ok, "pushed out")
	assert.Empty(t, o.withID("id99899"))
	m, ok := o.lastWithID("ID99900")
	require.True(t, ok)
	assert.Equal(t, "99900", m.Code)
}

// foldKey agrees with strings.EqualFold on pairs of ids that differ only in
// case, in Unicode folds (the Kelvin sign and k, long s and s) or in
// invalid bytes.
func TestFoldKeyAgreesWithEqualFold(t *testing.T) {
	words := []string{"ver_abc", "VER_ABC", "Ver_Abc", "\u212aey", "key", "KEY", "\u017fun", "sun", "SUN",
		"Straße", "STRASSE", "straße", "\xff", "\xfe", "\ufffd", "", "a\xffb", "A\xfeB", "Σίσυφος", "ΣΊΣΥΦΟΣ", "σίσυφοσ"}
	for _, a := range words {
		for _, b := range words {
			assert.Equal(t, strings.EqualFold(a, b), foldKey(a) == foldKey(b), "%q %q", a, b)
		}
	}
	s := "ver_0123456789abcdef"
	assert.Equal(t, s, foldKey(s))
}

func FuzzFoldKey(f *testing.F) {
	f.Add("ver_abc", "VER_ABC")
	f.Add("\u212a", "k")
	f.Add("\xff", "\ufffd")
	f.Add("ß", "SS")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, b := range []string{b, strings.ToUpper(a), strings.ToLower(a), strings.ToTitle(a)} {
			if strings.EqualFold(a, b) != (foldKey(a) == foldKey(b)) {
				t.Fatalf("EqualFold(%q, %q) = %v, foldKey %q %q", a, b, strings.EqualFold(a, b), foldKey(a), foldKey(b))
			}
		}
	})
}

// Through the Handler: a code pushed out of a small outbox is no longer
// found by id or recipient; Reset empties the indexes with the outbox.
func TestOutboxLookupsFollowBoundsAndReset(t *testing.T) {
	srv, c := newTest(t, WithMaxMessages(2))
	var ids []string
	for i := range 3 {
		v, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: fmt.Sprintf("+4917000000%03d", i), Channel: otpkit.ChannelSMS})
		require.NoError(t, err)
		ids = append(ids, v.ID)
	}
	_, ok := srv.CodeFor(ids[0])
	assert.False(t, ok, "pushed out of the outbox")
	_, ok = srv.LastCode("+4917000000000")
	assert.False(t, ok)
	assert.Empty(t, srv.MessagesTo("+4917000000000"))
	for i, id := range ids[1:] {
		code, ok := srv.CodeFor(strings.ToUpper(id))
		require.True(t, ok, id)
		last, ok := srv.LastCode(fmt.Sprintf("4917000000%03d", i+1))
		require.True(t, ok)
		assert.Equal(t, code, last)
		var msgs []Message
		require.Equal(t, 200, ctl(t, srv, "GET", "/_mock/messages?id="+id, "", &msgs))
		require.Len(t, msgs, 1)
		assert.Equal(t, code, msgs[0].Code)
	}

	srv.Reset()
	for _, id := range ids {
		_, ok := srv.CodeFor(id)
		assert.False(t, ok, "after Reset")
	}
	assert.Empty(t, srv.Messages())
	v, err := c.StartVerification(ctx(t), &otpkit.StartVerificationRequest{To: "+4917000000001", Channel: otpkit.ChannelSMS})
	require.NoError(t, err)
	code, ok := srv.CodeFor(v.ID)
	require.True(t, ok, "the indexes work after Reset")
	last, ok := srv.LastCode("+4917000000001")
	require.True(t, ok)
	assert.Equal(t, code, last)
}

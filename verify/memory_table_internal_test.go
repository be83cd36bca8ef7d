package verify

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otpkit/otpkit"
)

// len is how many entries the table holds.
func (tb *table[V]) len() int {
	n := 0
	if tb.shards == nil {
		return 0
	}
	for i := range tb.shards {
		n += len(tb.shards[i].m)
	}
	return n
}

// largest is the size of the table's largest shard.
func (tb *table[V]) largest() int {
	n := 0
	if tb.shards == nil {
		return 0
	}
	for i := range tb.shards {
		n = max(n, len(tb.shards[i].m))
	}
	return n
}

// countingTable counts the entries its table's sweep looks at.
type countingTable struct {
	*table[memCounter]
	visited int
}

func (c *countingTable) sweepShard(i int, t int64) int {
	n := c.table.sweepShard(i, t)
	c.visited += n
	return n
}

var tableEpoch = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// When everything is due at once (the clock moved past a pass, most
// entries expired), no call looks at more than sweepBudget entries and
// what is left of the shard it is in; a few calls more than the entries
// over sweepBudget take them all, the live ones stay, and the shards that
// emptied let go of their maps.
func TestSweeperBoundsEachCall(t *testing.T) {
	tb := &countingTable{table: newTable(func(c *memCounter) int64 { return c.keep })}
	s := sweeper{tables: []sweepable{tb}}
	t0 := tableEpoch
	s.run(t0)
	const n = 100_000
	for i := range n {
		c := tb.getOrMake(fmt.Sprint("k", i))
		c.keep = t0 + int64(30*time.Second)
		if i%4 == 0 {
			c.keep = t0 + int64(time.Hour)
		}
	}
	require.Equal(t, n, tb.len())
	largest := tb.largest()

	now := t0 + int64(90*time.Second)
	calls := 0
	for ; tb.len() > n/4 && calls < 2*n/sweepBudget+memShards; calls++ {
		tb.visited = 0
		s.run(now)
		assert.LessOrEqual(t, tb.visited, sweepBudget+largest, "call %d", calls)
		now += int64(time.Millisecond)
	}
	assert.Equal(t, n/4, tb.len(), "every expired entry dropped, every live one kept")
	assert.LessOrEqual(t, calls, n/sweepBudget+2, "the work spread over about n/sweepBudget calls")
	for i := 0; i < n; i += 4 {
		require.NotNil(t, tb.get(fmt.Sprint("k", i)), i)
	}
	for i := range tb.shards {
		sh := &tb.shards[i]
		require.LessOrEqual(t, sh.peak, 4*len(sh.m)+4, "shard %d rebuilt once it held a quarter of its peak", i)
	}

	// A day on, everything goes, maps and all.
	now += int64(24 * time.Hour)
	for calls = 0; tb.len() > 0 && calls < n; calls++ {
		s.run(now)
		now += int64(time.Millisecond)
	}
	assert.Zero(t, tb.len())
	assert.Nil(t, tb.shards, "the last map dropped, and the shards with it")
	assert.Zero(t, tb.maps)

	// A map emptied by deletes goes when the sweeper comes by.
	tb.getOrMake("a").keep = now + int64(time.Hour)
	require.NotNil(t, tb.shards)
	tb.delete("a")
	for range memShards/sweepBudget + 2 {
		s.run(now + int64(2*sweepEvery))
	}
	assert.Nil(t, tb.shards)
}

// With calls a second apart by the Guard's clock, the sweeper looks at
// each shard once a minute, a share of them on each call, and an entry is
// gone at most two passes after it expired, never before.
func TestSweeperPacesItsPasses(t *testing.T) {
	tb := &countingTable{table: newTable(func(c *memCounter) int64 { return c.keep })}
	s := sweeper{tables: []sweepable{tb}}
	t0 := tableEpoch
	s.run(t0)
	const n = 20_000
	keep := make(map[string]int64, n)
	for i := range n {
		k := fmt.Sprint("k", i)
		c := tb.getOrMake(k)
		c.keep = t0 + int64(i%300)*int64(time.Second) // over five minutes
		keep[k] = c.keep
	}
	most := 0
	for now := t0; now < t0+int64(10*time.Minute); now += int64(time.Second) {
		tb.visited = 0
		s.run(now)
		most = max(most, tb.visited)
		for k, until := range keep {
			c := tb.get(k)
			if until > now {
				require.NotNil(t, c, "%s dropped before it expired", k)
				continue
			}
			if now-until > int64(2*sweepEvery+time.Second) {
				require.Nil(t, c, "%s still held %v after it expired", k, time.Duration(now-until))
			}
		}
	}
	assert.Zero(t, tb.len())
	assert.Less(t, most, n/10, "a call on schedule looks at a share of the table, not all of it")
}

// The clock jumps a day in the middle of a pass: the shards the pass
// looked at before the jump are looked at again at once, not a pass
// later, so a burst of calls after the jump drops everything.
func TestSweeperCatchesUpAfterAJump(t *testing.T) {
	tb := newTable(func(c *memCounter) int64 { return c.keep })
	s := sweeper{tables: []sweepable{tb}}
	t0 := tableEpoch
	s.run(t0)
	const n = 50_000
	for i := range n {
		tb.getOrMake(fmt.Sprint("k", i)).keep = t0 + int64(time.Hour)
	}
	for now := t0; now < t0+int64(sweepEvery/2); now += int64(time.Second) {
		s.run(now)
	}
	require.Equal(t, n, tb.len())
	require.Greater(t, s.next, memShards/3, "the pass is under way")
	now := t0 + int64(24*time.Hour)
	calls := 0
	for ; tb.len() > 0 && calls < 10*n; calls++ {
		s.run(now)
		now += int64(time.Millisecond)
	}
	assert.Zero(t, tb.len())
	assert.LessOrEqual(t, calls, 2*n/sweepBudget+memShards/sweepBudget+2, "within the calls two catching-up passes take")
}

// A clock set back by more than a pass starts a new pass there.
func TestSweeperClockSetBack(t *testing.T) {
	tb := newTable(func(c *memCounter) int64 { return c.keep })
	s := sweeper{tables: []sweepable{tb}}
	s.run(tableEpoch)
	s.run(tableEpoch + int64(30*time.Second))
	require.NotZero(t, s.next)
	back := tableEpoch - int64(time.Hour)
	s.run(back)
	assert.Equal(t, back, s.passStart)
	assert.Zero(t, s.next)
	tb.getOrMake("a").keep = back + int64(time.Second)
	for now := back; tb.len() > 0 && now < back+int64(3*sweepEvery); now += int64(time.Second) {
		s.run(now)
	}
	assert.Zero(t, tb.len(), "swept on the clock set back")
}

// Once every rule's window has passed, calls that find nothing take the
// store back to empty tables: recipients, IP addresses, prefixes, the
// conversion counts and refs.
func TestMemoryStoreEmptiesAfterExpiry(t *testing.T) {
	m := NewMemoryStore()
	noShards := func(msg string) {
		for _, tb := range []any{m.recipients, m.ips, m.prefixes, m.convCountries, m.convPrefixes, m.refs.table} {
			require.Zero(t, reflect.ValueOf(tb).Elem().FieldByName("shards").Pointer(), msg)
		}
	}
	noShards("an empty store holds no shards")
	ctx := context.Background()
	conv := ConversionRules{Window: time.Hour, MinCountrySends: 1 << 30, MinPrefixSends: 1 << 30}
	now := time.Unix(0, tableEpoch)
	const n = 5_000
	for i := range n {
		s := SendRules{Recipient: fmt.Sprint("r", i), IP: fmt.Sprint("i", i), Prefix: fmt.Sprint("p", i),
			RecipientSends: Rate{5, time.Hour}, IPSends: Rate{20, time.Hour}, PrefixSends: Rate{50, time.Hour},
			Failures: Rate{10, 24 * time.Hour}, Country: fmt.Sprint("c", i%200), Conversion: conv}
		require.NoError(t, m.AllowSend(ctx, now, s))
		require.NoError(t, m.Issue(ctx, now, s.Recipient, make([]byte, 32), 10*time.Minute))
		require.NoError(t, m.RecordFailure(ctx, now, s.Recipient, s.Failures))
		require.NoError(t, m.SaveRef(ctx, now, fmt.Sprint("ref", i), RefRecord{Recipient: s.Recipient}, 15*time.Minute))
		now = now.Add(time.Millisecond)
	}
	tables := map[string]interface{ len() int }{"recipients": m.recipients, "ips": m.ips, "prefixes": m.prefixes,
		"countries": m.convCountries, "conversion prefixes": m.convPrefixes, "refs": m.refs.table}
	for name, tb := range tables {
		require.NotZero(t, tb.len(), name)
	}
	// An hour on, the failures (a day) keep their recipients; the rest goes.
	now = now.Add(time.Hour + time.Minute)
	for range 2 * memShards * len(tables) {
		require.NoError(t, m.AllowCheck(ctx, now, "nobody", Rate{10, 24 * time.Hour}))
		now = now.Add(10 * time.Millisecond)
	}
	assert.Equal(t, n, m.recipients.len())
	for name, tb := range tables {
		if name != "recipients" {
			assert.Zero(t, tb.len(), name)
		}
	}
	require.ErrorIs(t, m.Check(ctx, now, "r1", make([]byte, 32), CheckRules{MaxAttempts: 5, Failures: Rate{10, 24 * time.Hour}}),
		otpkit.ErrNotFound, "the code expired")
	var le *LimitError
	require.ErrorAs(t, m.AllowCheck(ctx, now, "r1", Rate{1, 24 * time.Hour}), &le, "the failure still counts")
	now = now.Add(24 * time.Hour)
	for range 2 * memShards * len(tables) {
		require.NoError(t, m.AllowCheck(ctx, now, "nobody", Rate{10, 24 * time.Hour}))
		now = now.Add(10 * time.Millisecond)
	}
	for name, tb := range tables {
		assert.Zero(t, tb.len(), name)
	}
	noShards("back to an empty store")
}

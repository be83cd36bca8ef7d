package otelverify

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

// Every value an attribute may hold comes back from its index as itself;
// anything else as "other".
func TestIndexesRoundTrip(t *testing.T) {
	for i, p := range providers[:nProviders-1] {
		assert.Equal(t, i, providerIndex(otpkit.Provider(p)), p)
	}
	for i, c := range channels[:nChannels-1] {
		assert.Equal(t, i, channelIndex(otpkit.Channel(c)), c)
	}
	for i, op := range ops[:nOps-1] {
		assert.Equal(t, i, opIndex(verify.Op(op)), op)
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			r := string([]rune{a, b})
			i := regionIndex(r)
			assert.Less(t, i, regionOther, r)
			assert.Equal(t, r, regionName(i))
		}
	}
	assert.Equal(t, "", regionName(regionIndex("")))
	for _, hostile := range []string{"de", "D", "DEU", "+4917012345678", "A1", "Ä", "ZZZ"} {
		assert.Equal(t, other, regionName(regionIndex(hostile)), hostile)
		assert.Equal(t, other, providers[providerIndex(otpkit.Provider(hostile))], hostile)
		assert.Equal(t, other, channels[channelIndex(otpkit.Channel(hostile))], hostile)
		assert.Equal(t, other, ops[opIndex(verify.Op(hostile))], hostile)
	}
}

func TestFinalCodeRoundTrip(t *testing.T) {
	for kind := verify.EventKind(0); kind <= verify.EventWouldRefuse+1; kind++ {
		for p := range nProviders {
			for c := range nChannels {
				for _, r := range []int{0, 1, 26, 676, regionOther} {
					k, p2, c2, r2 := packFinal(kind, p, c, r).unpack()
					assert.Equal(t, []int{int(kind), p, c, r}, []int{int(k), p2, c2, r2})
				}
			}
		}
	}
}

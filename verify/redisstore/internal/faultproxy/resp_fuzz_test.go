package faultproxy

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzFrameReader: any stream gives back whole values that are exactly the
// bytes read, in order, or an error; never a panic.
func FuzzFrameReader(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*2\r\n$1\r\na\r\n:2\r\n", "*-1\r\n",
		"%1\r\n+k\r\n+v\r\n", "|1\r\n+a\r\n+b\r\n:1\r\n", ">2\r\n+m\r\n+x\r\n", "_\r\n", ",1.5\r\n", "#t\r\n",
		"=7\r\ntxt:abc\r\n", "(12345678901234567890\r\n", "~1\r\n:1\r\n", "PING\r\n", "*1\r\n$4\r\nPING\r\n",
		"$999999999\r\nshort", "*99999999\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, asRequest := range []bool{false, true} {
			fr := newFrameReader(bytes.NewReader(in))
			var got []byte
			for {
				var frame []byte
				var err error
				if asRequest {
					frame, _, err = fr.request()
				} else {
					frame, _, err = fr.reply()
				}
				if err != nil {
					break
				}
				require.NotEmpty(t, frame)
				got = append(got, frame...)
			}
			assert.True(t, bytes.HasPrefix(in, got), "frames are the stream's bytes in order")
		}
	})
}

func TestFrameReaderSplitsReplies(t *testing.T) {
	in := "|1\r\n+ttl\r\n:3\r\n$3\r\nabc\r\n>2\r\n+push\r\n+x\r\n*2\r\n%1\r\n+k\r\n$-1\r\n_\r\n"
	fr := newFrameReader(bytes.NewReader([]byte(in)))
	var frames []string
	var types []byte
	for {
		b, typ, err := fr.reply()
		if err != nil {
			break
		}
		frames = append(frames, string(b))
		types = append(types, typ)
	}
	assert.Equal(t, []string{"|1\r\n+ttl\r\n:3\r\n$3\r\nabc\r\n", ">2\r\n+push\r\n+x\r\n", "*2\r\n%1\r\n+k\r\n$-1\r\n_\r\n"}, frames,
		"an attribute belongs to its value")
	assert.Equal(t, []byte{'$', '>', '*'}, types)

	fr = newFrameReader(bytes.NewReader([]byte("*3\r\n$7\r\nEVALSHA\r\n$1\r\nx\r\n$1\r\n0\r\nget k\r\n")))
	_, name, err := fr.request()
	require.NoError(t, err)
	assert.Equal(t, "evalsha", name)
	b, name, err := fr.request()
	require.NoError(t, err)
	assert.Equal(t, "get", name)
	assert.Equal(t, "get k\r\n", string(b))
}

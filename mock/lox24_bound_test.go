package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A hostile LOX24 create body costs the mock linear time and gets a bounded
// answer: a routing strategy has at most three valid steps, so only the
// first steps are looked at and reported. Growth is measured in
// allocations (deterministic), not time; the benchmarks show the time.

// lox24LongStrategy is a create body whose routing strategy has n copies
// of step.
func lox24LongStrategy(n int, step string) string {
	return `{"phone":"+491701234567","routing_strategy":[` + strings.Repeat(step+",", n-1) + step + `]}`
}

var lox24HostileSteps = map[string]string{
	"non-objects": `1`,
	"empty":       `{}`,
	"sms":         `{"channel":"sms"}`,
	"bad types":   `{"channel":7,"timeout_sec":"x","sender_id":[],"template":{}}`,
}

func TestLOX24CreateLongStrategyBoundedAnswer(t *testing.T) {
	h := NewHandler()
	for name, step := range lox24HostileSteps {
		t.Run(name, func(t *testing.T) {
			body := lox24LongStrategy(min(20000, (1<<20-100)/(len(step)+1)), step) // under the 1 MiB cap
			resp := do(h, http.MethodPost, "/verify_codes", body, lox24Auth)
			require.Equal(t, http.StatusBadRequest, resp.Status, "%s", resp.Body)
			assert.Less(t, len(resp.Body), 8<<10, "the answer reports the first problems only")
			var pb struct {
				Violations []struct{ PropertyPath string } `json:"violations"`
			}
			require.NoError(t, json.Unmarshal(resp.Body, &pb))
			assert.NotEmpty(t, pb.Violations)
			assert.LessOrEqual(t, len(pb.Violations), 20)
		})
	}
}

// The sms step of a strategy longer than the steps looked at is not last.
func TestLOX24CreateLongStrategySMSNotLast(t *testing.T) {
	h := NewHandler()
	steps := []string{`{"channel":"telegram"}`, `{"channel":"voice"}`, `{"channel":"voice"}`, `{"channel":"sms"}`, `{"channel":"telegram"}`}
	body := `{"phone":"+491701234567","routing_strategy":[` + strings.Join(steps, ",") + `]}`
	resp := do(h, http.MethodPost, "/verify_codes", body, lox24Auth)
	require.Equal(t, http.StatusBadRequest, resp.Status)
	assert.Contains(t, string(resp.Body), `"propertyPath":"routing_strategy[3].channel"`)
	assert.Contains(t, string(resp.Body), "only be the last step")
}

// Decoding eight times as many steps allocates (almost) no more: the work
// does not depend on the number of steps beyond one scan of the body.
func TestLOX24CreateDecodeAllocsFlat(t *testing.T) {
	for name, step := range lox24HostileSteps {
		t.Run(name, func(t *testing.T) {
			small, large := []byte(lox24LongStrategy(1000, step)), []byte(lox24LongStrategy(8000, step))
			a := testing.AllocsPerRun(5, func() { decodeLOX24Create(small, nil) })
			b := testing.AllocsPerRun(5, func() { decodeLOX24Create(large, nil) })
			assert.LessOrEqual(t, b, a+8, "allocations for 1,000 steps: %v, for 8,000: %v", a, b)
		})
	}
}

func BenchmarkLOX24CreateLongStrategy(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		body := []byte(lox24LongStrategy(n, `1`))
		b.Run(strconv.Itoa(n)+" non-objects", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				decodeLOX24Create(body, nil)
			}
		})
	}
}

// A create whose client left before the mock got to it is not acted on.
func TestLOX24CreateClientLeft(t *testing.T) {
	h := NewHandler()
	c, cancel := context.WithCancel(context.Background())
	cancel()
	req := newReq(http.MethodPost, "/verify_codes", strings.NewReader(lox24LongStrategy(1, `{"channel":"sms"}`)), lox24Auth).WithContext(c)
	serve(h, req)
	assert.Zero(t, h.Stats().LOX24Codes, "no code was created")
	assert.Empty(t, h.Messages(), "nothing was sent")

	resp := do(h, http.MethodPost, "/verify_codes", lox24LongStrategy(1, `{"channel":"sms"}`), lox24Auth)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	assert.Equal(t, 1, h.Stats().LOX24Codes)
}

// splitArray agrees with encoding/json on every valid array.
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{`[]`, `[1]`, ` [ 1 , "a,]" , {"b":[1,2]} , [[]] , null , "\"]" ] `, `[{},{},{},{},{}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want []json.RawMessage
		if kind([]byte(s)) != '[' || json.Unmarshal([]byte(s), &want) != nil {
			return
		}
		head, n := splitArray([]byte(s), lox24StepsChecked)
		require.Equal(t, len(want), n)
		require.Len(t, head, min(n, lox24StepsChecked))
		for i := range head {
			// Compacted text, not decoded values: a valid number such as
			// 1e999 is no float64, and JSONEq decodes to float64.
			require.Equal(t, compactJSON(t, want[i]), compactJSON(t, head[i]))
		}
	})
}

// compactJSON is b without its insignificant spaces.
func compactJSON(t *testing.T, b []byte) string {
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, b), "%s", b)
	return buf.String()
}

// Package paired times two ways of doing one thing side by side in one
// benchmark, for goals stated as a ratio ("at most 1.10× what it wraps").
// Alternating the two, op by op, makes load from elsewhere on a shared
// machine weigh on both alike. Test support only.
package paired

import (
	"runtime"
	"slices"
	"testing"
	"time"
)

// Run calls ops[0][i] and ops[1][i] for every i below b.N, alternating which
// goes first, and times each call on its own. It reports, as benchmark
// metrics named after names (e.g. "service" and "direct"): each side's mean
// time per check, the ratio of the sums, each side's median, and the ratio
// of the medians (a preemption lands in one check and moves the sums, not
// the medians). An op that returns an error fails the benchmark.
func Run(b *testing.B, names [2]string, ops [2][]func() error) {
	b.Helper()
	var took [2]time.Duration
	each := [2][]time.Duration{make([]time.Duration, b.N), make([]time.Duration, b.N)}
	runtime.GC() // the preparation's garbage, collected before either side is timed
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range 2 {
			side := (k + i) % 2
			start := time.Now()
			err := ops[side][i]()
			d := time.Since(start)
			if err != nil {
				b.Fatalf("%s: %v", names[side], err)
			}
			took[side] += d
			each[side][i] = d
		}
	}
	b.StopTimer()
	n := float64(b.N)
	a, z := names[0], names[1]
	b.ReportMetric(float64(took[0].Nanoseconds())/n, a+"-ns/check")
	b.ReportMetric(float64(took[1].Nanoseconds())/n, z+"-ns/check")
	b.ReportMetric(float64(took[0])/float64(took[1]), a+"/"+z)
	p50 := [2]time.Duration{median(each[0]), median(each[1])}
	b.ReportMetric(float64(p50[0].Nanoseconds()), a+"-p50-ns/check")
	b.ReportMetric(float64(p50[1].Nanoseconds()), z+"-p50-ns/check")
	b.ReportMetric(float64(p50[0])/float64(p50[1]), "p50-"+a+"/"+z)
}

// median is the median of d (which it sorts).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

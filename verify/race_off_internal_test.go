//go:build !race

package verify

// raceEnabled: the race detector is on (see race_on_internal_test.go).
const raceEnabled = false

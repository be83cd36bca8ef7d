//go:build race

package verify

// raceEnabled: the race detector is on, and allocation counts move (its
// sync.Pool drops items at random).
const raceEnabled = true

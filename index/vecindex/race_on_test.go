//go:build race

package vecindex

// raceEnabled shrinks the statistical tests under the race detector,
// which slows the arithmetic tenfold and finds nothing in it.
const raceEnabled = true

//go:build !linux

package phrase

import "time"

// cpuTime is not measured here; reports show 0.
func cpuTime() time.Duration { return 0 }

// maxRSS is not measured here; reports show 0.
func maxRSS() int64 { return 0 }

//go:build !unix

package replay

import "time"

// processCPU cannot be read here: the benchmarks leave out what they would compute from it.
func processCPU() (time.Duration, bool) { return 0, false }

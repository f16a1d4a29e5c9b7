//go:build unix

package auth_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, user and system: a benchmark on a shared
// machine reports it beside wall time, which other processes' load inflates.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build unix

package similar

import (
	"syscall"
	"time"
)

// ProcessCPU (for the benchmarks) is the process's user and system CPU time so far.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package bench

import "time"

// ProcessCPU is the process's user and system CPU time so far (0 where it
// is not measured), for Go benchmarks outside this package that report CPU
// time beside the wall clock on a shared machine.
func ProcessCPU() time.Duration { return processCPU() }

//go:build linux || darwin || freebsd || netbsd || openbsd

package advisor

import (
	"os"
	"syscall"
)

// mapFile maps the first n bytes of f read-only; the mapping outlives f.
func mapFile(f *os.File, n int) ([]byte, bool, error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

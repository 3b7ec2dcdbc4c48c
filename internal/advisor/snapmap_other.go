//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package advisor

import (
	"io"
	"os"
)

// mapFile reads the first n bytes of f onto the heap, where the system
// has no mmap.
func mapFile(f *os.File, n int) ([]byte, bool, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, false, err
	}
	return b, false, nil
}

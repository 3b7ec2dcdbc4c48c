//go:build linux || darwin || freebsd || netbsd || openbsd

package advisor

import "syscall"

func mapMemory(n int) ([]byte, bool) {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, false // the heap then
	}
	return b, true
}

func unmapMemory(b []byte) { syscall.Munmap(b) }

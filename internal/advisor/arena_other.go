//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package advisor

func mapMemory(n int) ([]byte, bool) { return nil, false }

func unmapMemory(b []byte) {}

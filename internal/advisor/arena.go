package advisor

import (
	"strings"
	"sync/atomic"
	"unsafe"
)

// arena holds a shard's pointer-free arrays (the packed entries, their
// text, the library rows, the ranking orders) outside the Go heap where the
// system allows it: the collector never scans them and, more to the point
// at ten million items, they do not count towards the heap that sets when
// it runs, so the process no longer keeps room for twice their size. The
// memory is the shard's: it is given back once the shard is unreachable
// (see newShardArena), and no string handed out of the shard points into it
// (entry clones its text).
type arena struct {
	blocks [][]byte
	off    bool // some memory is outside the heap
}

// offHeapMin is the smallest array put outside the heap: a small category
// is not worth a mapping of its own.
var offHeapMin atomic.Int64

func init() { offHeapMin.Store(256 << 10) }

// alloc returns n zeroed bytes.
func (a *arena) alloc(n int) []byte {
	if n == 0 {
		return nil
	}
	if int64(n) >= offHeapMin.Load() {
		if b, ok := mapMemory(n); ok {
			a.blocks = append(a.blocks, b)
			a.off = true
			return b
		}
	}
	return make([]byte, n)
}

// free gives the arena's memory back; nothing may use it afterwards.
func (a *arena) free() {
	for _, b := range a.blocks {
		unmapMemory(b)
	}
	a.blocks = nil
}

// arenaCopy returns a copy of s in a's memory. T must hold no pointers.
func arenaCopy[T any](a *arena, s []T) []T {
	if len(s) == 0 {
		return nil
	}
	size := int(unsafe.Sizeof(s[0]))
	b := a.alloc(size * len(s))
	out := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(s))
	copy(out, s)
	return out
}

// arenaString returns a copy of b in a's memory.
func arenaString(a *arena, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	m := a.alloc(len(b))
	copy(m, b)
	return unsafe.String(unsafe.SliceData(m), len(m))
}

// own returns s, which may point into the shard's memory, as a string the
// caller may keep.
func (sh *shard) own(s string) string {
	if sh.arena.off {
		return strings.Clone(s)
	}
	return s
}

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
	off    bool   // some memory is outside the heap
	spare  []byte // the unused end of the block small arrays are cut from
}

// spareBlock is the size of the blocks small arrays are cut from once a
// shard has memory outside the heap: pages never written cost nothing.
const spareBlock = 1 << 20

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
	} else if a.off {
		// A large shard's small arrays (its ranking orders, the title
		// index's smaller ones) outside the heap too, cut from one block.
		if len(a.spare) < n {
			if b, ok := mapMemory(spareBlock); ok {
				a.blocks = append(a.blocks, b)
				a.spare = b
			}
		}
		if len(a.spare) >= n {
			b := a.spare[:n:n]
			a.spare = a.spare[min(len(a.spare), (n+7)&^7):] // 8-byte aligned
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
	a.blocks, a.spare = nil, nil
}

// arenaCopy returns a copy of s in a's memory. T must hold no pointers.
func arenaCopy[T any](a *arena, s []T) []T {
	out := arenaMake[T](a, len(s))
	copy(out, s)
	return out
}

// arenaMake returns n zero Ts in a's memory. T must hold no pointers.
func arenaMake[T any](a *arena, n int) []T {
	if n == 0 {
		return nil
	}
	var v T
	b := a.alloc(int(unsafe.Sizeof(v)) * n)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// own returns s, which may point into the shard's memory, as a string the
// caller may keep.
func (sh *shard) own(s string) string {
	if sh.arena.off {
		return strings.Clone(s)
	}
	return s
}

// growBuf is a byte buffer that grows outside the heap once it is large
// (see offHeapMin): a category's entries are packed into it as they are
// read, so that loading a library never holds them on the heap. Mapped
// room beyond what is written costs no memory until it is touched.
type growBuf struct {
	mem    []byte
	n      int
	mapped bool
}

// reserve makes room for extra more bytes.
func (g *growBuf) reserve(extra int) {
	if g.n+extra <= len(g.mem) {
		return
	}
	size := max(2*len(g.mem), g.n+extra, 4096)
	var nb []byte
	mapped := false
	if int64(size) >= offHeapMin.Load() {
		nb, mapped = mapMemory(size)
	}
	if !mapped {
		nb = make([]byte, size)
	}
	n := copy(nb, g.mem[:g.n])
	g.release()
	g.mem, g.n, g.mapped = nb, n, mapped
}

// append adds b.
func (g *growBuf) append(b []byte) {
	g.reserve(len(b))
	g.n += copy(g.mem[g.n:], b)
}

// release gives the buffer's memory back (when nothing adopted it).
func (g *growBuf) release() {
	if g.mapped {
		unmapMemory(g.mem)
	}
	g.mem, g.n, g.mapped = nil, 0, false
}

// adopt makes the buffer's memory the arena's and returns what was
// written; the buffer is empty afterwards.
func (g *growBuf) adopt(a *arena) []byte {
	b := g.mem[:g.n:g.n]
	if g.mapped {
		a.blocks = append(a.blocks, g.mem)
		a.off = true
	}
	g.mem, g.n, g.mapped = nil, 0, false
	return b
}

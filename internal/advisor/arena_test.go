package advisor

import (
	"testing"
	"unsafe"
)

// Once a shard has memory outside the heap, its small arrays are cut from
// shared blocks there: each zeroed, 8-byte aligned and apart from the others.
func TestArenaCutsSmallArrays(t *testing.T) {
	a := &arena{}
	if b := a.alloc(100); a.off || len(b) != 100 {
		t.Fatalf("a small array of a small shard went outside the heap (%v) or has %d bytes", a.off, len(b))
	}
	if _, ok := mapMemory(1); !ok {
		t.Skip("no memory outside the heap on this system")
	}
	big := a.alloc(int(offHeapMin.Load()))
	if !a.off {
		t.Fatal("a large array stayed on the heap")
	}
	var got [][]byte
	for _, n := range []int{1, 13, 4096, 7, spareBlock - 100, 24} {
		b := a.alloc(n)
		if len(b) != n || cap(b) != n || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 != 0 {
			t.Fatalf("%d bytes: got %d (cap %d) at %p", n, len(b), cap(b), unsafe.SliceData(b))
		}
		for _, c := range b {
			if c != 0 {
				t.Fatalf("%d bytes: not zeroed", n)
			}
		}
		for i := range b {
			b[i] = byte(len(got) + 1)
		}
		got = append(got, b)
	}
	for i, b := range got {
		for _, c := range b {
			if c != byte(i+1) {
				t.Fatalf("array %d was overwritten by another", i)
			}
		}
	}
	if len(a.blocks) != 3 || len(big) == 0 {
		t.Errorf("%d blocks mapped, want the large array's and two to cut from", len(a.blocks))
	}
	a.free()
}

package similar

import (
	"errors"
	"fmt"
)

// Frozen is a frozen index's state: plain arrays with no pointers in them,
// so that a caller may write them to a file and later use them in place
// (memory-mapped) through Import, without building the index again.
type Frozen struct {
	N        int  // titles added
	Identity bool // internal id == ordinal for every title

	Keys       []uint64
	WordData   string
	WordOff    []uint32
	ByR2       []uint32
	Off        []uint32
	Post       []int32
	Norm       []float32
	IntExt     []int32
	ExtInt     []int32
	GroupIDs   []int32
	GroupStart []int32
}

// Export returns the state of a frozen index; the arrays are the index's
// own, not copies. It panics before Freeze.
func (x *Index) Export() Frozen {
	x.mustFrozen()
	return Frozen{N: x.n, Identity: x.identity, Keys: x.keys, WordData: x.wordData, WordOff: x.wordOff, ByR2: x.byR2,
		Off: x.off, Post: x.post, Norm: x.norm, IntExt: x.intExt, ExtInt: x.extInt, GroupIDs: x.groupIDs, GroupStart: x.groupStart}
}

// Import returns a frozen index over f's arrays, which it uses in place:
// they must stay valid and unchanged while the index is used. It checks
// that the arrays fit one another (lengths, offsets in range and in order:
// O(terms + groups)); the postings and id maps are not read, so values out
// of range there (a corrupted file, say) make queries panic rather than
// read outside the arrays — the caller checksums what it stores.
func Import(f Frozen) (*Index, error) {
	nt := len(f.Keys) + len(f.WordOff) - 1
	switch {
	case f.N < 0 || len(f.WordOff) == 0:
		return nil, errors.New("similar: import: no word offsets")
	case len(f.Off) != nt+1:
		return nil, fmt.Errorf("similar: import: %d posting offsets for %d terms", len(f.Off), nt)
	case len(f.Norm) != f.N || len(f.IntExt) != f.N:
		return nil, fmt.Errorf("similar: import: %d norms and %d ids for %d titles", len(f.Norm), len(f.IntExt), f.N)
	case len(f.GroupStart) != len(f.GroupIDs)+1:
		return nil, fmt.Errorf("similar: import: %d group starts for %d groups", len(f.GroupStart), len(f.GroupIDs))
	case len(f.ByR2) > len(f.Keys):
		return nil, fmt.Errorf("similar: import: %d second-rune entries for %d keys", len(f.ByR2), len(f.Keys))
	}
	if err := ascending(f.Off, uint32(len(f.Post)), "posting offsets"); err != nil {
		return nil, err
	}
	if err := ascending(f.WordOff, uint32(len(f.WordData)), "word offsets"); err != nil {
		return nil, err
	}
	if f.WordOff[0] != 0 || f.Off[0] != 0 || f.Off[nt] != uint32(len(f.Post)) {
		return nil, errors.New("similar: import: offsets do not start at 0 or end at the arrays' ends")
	}
	if len(f.GroupStart) > 0 && (f.GroupStart[0] != 0 || f.GroupStart[len(f.GroupStart)-1] != int32(f.N)) {
		return nil, errors.New("similar: import: groups do not cover the titles")
	}
	for i := 1; i < len(f.GroupStart); i++ {
		if f.GroupStart[i] < f.GroupStart[i-1] || i < len(f.GroupIDs) && f.GroupIDs[i] <= f.GroupIDs[i-1] {
			return nil, errors.New("similar: import: groups out of order")
		}
	}
	for _, t := range f.ByR2 {
		if t >= uint32(len(f.Keys)) {
			return nil, fmt.Errorf("similar: import: second-rune entry %d beyond %d keys", t, len(f.Keys))
		}
	}
	return &Index{frozen: true, n: f.N, identity: f.Identity, keys: f.Keys, wordData: f.WordData, wordOff: f.WordOff,
		byR2: f.ByR2, off: f.Off, post: f.Post, norm: f.Norm, intExt: f.IntExt, extInt: f.ExtInt, groupIDs: f.GroupIDs,
		groupStart: f.GroupStart, lim: defaultLimits}, nil
}

// ascending checks that offs never decrease and end at most at limit.
func ascending(offs []uint32, limit uint32, what string) error {
	for i, o := range offs {
		if o > limit || i > 0 && o < offs[i-1] {
			return fmt.Errorf("similar: import: %s out of order or beyond %d at %d", what, limit, i)
		}
	}
	return nil
}

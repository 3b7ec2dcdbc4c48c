package advisor

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/qunke/qunke/internal/advisor/similar"
	"github.com/qunke/qunke/internal/catalog"
)

// The snapshot file keeps what a full load of the catalog built — every
// shard's pointer-free arrays and its few heap parts — so that the next
// start maps the file and answers at once instead of reading every item's
// history again (issue 17), then catches up with what changed since.
//
// Layout (one file; the header's integers little-endian):
//
//	[0, 64)      header: magic, format version, an endianness probe (native
//	             order), the layout fingerprint, the metadata's offset, length
//	             and CRC, the file size, the header's own CRC
//	[4096, …)    the sections: each shard's arrays in snapSections order,
//	             then the key index; each starts 64-byte aligned, a page
//	             aligned when it is a page or more, so it is used in place
//	             from the mapping
//	[metaOff, …) the metadata (gob): catalog identity and generation, and per
//	             shard its heap parts and its sections' offsets, lengths and
//	             CRCs (Castagnoli)
//
// The file is written to a temporary file beside it, synced and renamed
// over it: a mapped file is never changed, and two servers sharing the
// file (one PostgreSQL database, one machine) each replace it whole.
const (
	snapMagic   = "QKADVSNP"
	snapVersion = 1
	snapPage    = 4096
	snapHeader  = 64
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapParts is what a shard's sections are read from and written into.
type snapParts struct {
	sh  *shard
	sim similar.Frozen
}

// section is one array of a shard in the file.
type section struct {
	name  string
	bytes func(p *snapParts) []byte         // the array's bytes
	use   func(p *snapParts, b []byte) bool // makes the array b, in place; false when b cannot be one
}

func arraySection[T any](name string, at func(p *snapParts) *[]T) section {
	var zero T
	size, align := int(unsafe.Sizeof(zero)), uintptr(unsafe.Alignof(zero))
	return section{
		name: name + ":" + reflect.TypeFor[T]().String(),
		bytes: func(p *snapParts) []byte {
			s := *at(p)
			return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*size)
		},
		use: func(p *snapParts, b []byte) bool {
			if len(b)%size != 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%align != 0 {
				return false
			}
			*at(p) = nil
			if len(b) > 0 {
				*at(p) = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/size)
			}
			return true
		},
	}
}

func stringSection(name string, at func(p *snapParts) *string) section {
	return section{
		name:  name + ":string",
		bytes: func(p *snapParts) []byte { return unsafe.Slice(unsafe.StringData(*at(p)), len(*at(p))) },
		use: func(p *snapParts, b []byte) bool {
			*at(p) = unsafe.String(unsafe.SliceData(b), len(b))
			return true
		},
	}
}

// snapSections lists a shard's arrays as the file keeps them: an array
// added to the shard is one line here (the layout fingerprint follows).
var snapSections = []section{
	arraySection("recs", func(p *snapParts) *[]packed { return &p.sh.recs }),
	stringSection("text", func(p *snapParts) *string { return &p.sh.text }),
	arraySection("rows", func(p *snapParts) *[]libRow { return &p.sh.rows }),
	arraySection("sales30", func(p *snapParts) *[]int64 { return &p.sh.sales30 }),
	arraySection("sales32", func(p *snapParts) *[]int32 { return &p.sh.sales32 }),
	arraySection("wideAt", func(p *snapParts) *[]int32 { return &p.sh.wideAt }),
	arraySection("wides", func(p *snapParts) *[]wideEntry { return &p.sh.wides }),
	arraySection("rank.hot", func(p *snapParts) *[]int32 { return &p.sh.rank.byKind[0] }),
	arraySection("rank.today", func(p *snapParts) *[]int32 { return &p.sh.rank.byKind[1] }),
	arraySection("rank.lows", func(p *snapParts) *[]int32 { return &p.sh.rank.byKind[2] }),
	arraySection("rank.commission", func(p *snapParts) *[]int32 { return &p.sh.rank.byKind[3] }),
	arraySection("rank.drop", func(p *snapParts) *[]int32 { return &p.sh.rank.byKind[4] }),
	arraySection("rank.price", func(p *snapParts) *[]int32 { return &p.sh.rank.byPrice }),
	arraySection("rank.rate", func(p *snapParts) *[]int32 { return &p.sh.rank.byRate }),
	arraySection("rank.brand", func(p *snapParts) *[]int32 { return &p.sh.rank.byBrand }),
	arraySection("rank.brandAt", func(p *snapParts) *[]int32 { return &p.sh.rank.brandAt }),
	arraySection("rank.sales", func(p *snapParts) *[]int32 { return &p.sh.rank.bySales }),
	arraySection("rank.drops", func(p *snapParts) *[]int32 { return &p.sh.rank.byDrop }),
	arraySection("sim.keys", func(p *snapParts) *[]uint64 { return &p.sim.Keys }),
	stringSection("sim.words", func(p *snapParts) *string { return &p.sim.WordData }),
	arraySection("sim.wordOff", func(p *snapParts) *[]uint32 { return &p.sim.WordOff }),
	arraySection("sim.byR2", func(p *snapParts) *[]uint32 { return &p.sim.ByR2 }),
	arraySection("sim.off", func(p *snapParts) *[]uint32 { return &p.sim.Off }),
	arraySection("sim.post", func(p *snapParts) *[]int32 { return &p.sim.Post }),
	arraySection("sim.norm", func(p *snapParts) *[]float32 { return &p.sim.Norm }),
	arraySection("sim.intExt", func(p *snapParts) *[]int32 { return &p.sim.IntExt }),
	arraySection("sim.extInt", func(p *snapParts) *[]int32 { return &p.sim.ExtInt }),
	arraySection("sim.groupIDs", func(p *snapParts) *[]int32 { return &p.sim.GroupIDs }),
	arraySection("sim.groupStart", func(p *snapParts) *[]int32 { return &p.sim.GroupStart }),
}

// keyRef is one entry of the file's key index: the hash of an item's key
// and where its entry is (shard<<32 | position), sorted by hash. Looking
// an item up binary-searches it and compares the entry's own key, so the
// index needs no building at start (a KeyMap of every item would be
// O(items)).
type keyRef struct{ hash, at uint64 }

// keyHash hashes a key by identity (taobao:1 and tmall:1 alike, as KeyMap).
func keyHash(k catalog.Key) uint64 {
	h := uint64(14695981039346656037)
	for _, s := range [2]string{string(k.Platform.Family()), k.ItemID} {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h = (h ^ 0xff) * 1099511628211
	}
	return h
}

// findKey returns where key's entry is, by the key index of shards.
func findKey(refs []keyRef, shards []*shard, key catalog.Key) (uint64, bool) {
	h := keyHash(key)
	i, _ := slices.BinarySearchFunc(refs, h, func(r keyRef, h uint64) int { return cmp.Compare(r.hash, h) })
	for ; i < len(refs) && refs[i].hash == h; i++ {
		at := refs[i].at
		if at>>32 >= uint64(len(shards)) {
			continue
		}
		sh := shards[at>>32]
		if pos := uint32(at); pos < uint32(len(sh.recs)) {
			if sh.hasID(int32(pos), key.ItemID) && sh.platforms[sh.rows[pos].platform].Family() == key.Platform.Family() {
				runtime.KeepAlive(sh)
				return at, true
			}
		}
	}
	return 0, false
}

// layoutFingerprint hashes the layout of what the file keeps as it is in
// this build (struct sizes, field offsets and types, the section list), so
// that a file written by a build whose packed entries or rows differ is
// not read.
var layoutFingerprint = sync.OnceValue(func() uint64 {
	h := fnv.New64a()
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		fmt.Fprintf(h, "%s/%d/%d{", t.Kind(), t.Size(), t.Align())
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				fmt.Fprintf(h, "%s@%d:", f.Name, f.Offset)
				walk(f.Type)
			}
		case reflect.Array:
			fmt.Fprintf(h, "%d:", t.Len())
			walk(t.Elem())
		}
		h.Write([]byte("}"))
	}
	walk(reflect.TypeFor[packed]())
	walk(reflect.TypeFor[libRow]())
	walk(reflect.TypeFor[keyRef]())
	for _, s := range snapSections {
		h.Write([]byte(s.name + ";"))
	}
	return h.Sum64()
})

// snapMeta is the file's metadata.
type snapMeta struct {
	Catalog string // the catalog's identity
	Gen     int64  // the catalog generation the shards were read at
	Written time.Time
	Shards  []snapShard // by category
	Keys    snapSpan
}

// snapShard is a shard's heap parts and where its arrays are.
type snapShard struct {
	Category    string
	Brands      []string
	Shops       [][2]string
	Platforms   []catalog.Platform
	ShopTypes   []catalog.ShopType
	ImgPre      []string // image link prefixes
	DSRAvg      [3]float64
	Attrs       [3][]string // the library's brands, platforms, shop types, by number
	MaxAt       int64
	SimN        int
	SimIdentity bool
	Sections    []snapSpan // as snapSections
}

type snapSpan struct {
	Off, Len int64
	CRC      uint32
}

func attrList(m map[string]uint32) []string {
	out := make([]string, len(m))
	for v, id := range m {
		out[id] = v
	}
	return out
}

func attrMap(list []string) (map[string]uint32, bool) {
	m := make(map[string]uint32, len(list))
	for i, v := range list {
		m[v] = uint32(i)
	}
	return m, len(m) == len(list)
}

// writeSnapFile writes the shards of a loaded snapshot, read at catalog
// generation gen of the catalog named ident, to path (replacing it), and
// returns the file's size.
func writeSnapFile(path, ident string, snap *snapshot) (size int64, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := &spanWriter{w: bufio.NewWriterSize(f, 1<<20)}
	_, w.err = w.w.Write(zeros[:]) // the header's page, written last
	w.off = snapPage
	meta := snapMeta{Catalog: ident, Gen: snap.gen, Written: time.Now().UTC()}
	var keys []keyRef
	for si, sh := range snap.all {
		p := snapParts{sh: sh, sim: sh.sim.Export()}
		m := snapShard{Category: sh.category, Brands: sh.brands, Shops: sh.shops, Platforms: sh.platforms, ShopTypes: sh.shopTypes, ImgPre: sh.imgPre,
			DSRAvg: sh.dsrAvg, Attrs: [3][]string{attrList(sh.attrs.brands), attrList(sh.attrs.platforms), attrList(sh.attrs.shops)},
			MaxAt: sh.rank.maxAt, SimN: p.sim.N, SimIdentity: p.sim.Identity}
		for _, s := range snapSections {
			m.Sections = append(m.Sections, w.write(s.bytes(&p)))
		}
		meta.Shards = append(meta.Shards, m)
		for j := range sh.recs {
			keys = append(keys, keyRef{hash: keyHash(sh.key(int32(j))), at: uint64(si)<<32 | uint64(j)})
		}
		runtime.KeepAlive(sh)
	}
	slices.SortFunc(keys, func(a, b keyRef) int { return cmp.Compare(a.hash, b.hash) })
	meta.Keys = w.write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(keys))), len(keys)*int(unsafe.Sizeof(keyRef{}))))
	var mb bytes.Buffer
	if err := gob.NewEncoder(&mb).Encode(&meta); err != nil {
		return 0, err
	}
	w.pad(8)
	ms := w.write(mb.Bytes())
	if w.err != nil {
		return 0, w.err
	}
	if err := w.w.Flush(); err != nil {
		return 0, err
	}
	if _, err := f.WriteAt(snapHeaderFor(ms, w.off), 0); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return 0, err
	}
	if d, err := os.Open(dir); err == nil { // the rename itself, durable
		d.Sync()
		d.Close()
	}
	return w.off, nil
}

// spanWriter writes sections, aligned, and their CRCs.
type spanWriter struct {
	w   *bufio.Writer
	off int64
	err error
}

var zeros [snapPage]byte

func (w *spanWriter) pad(align int64) {
	if n := (align - w.off%align) % align; n > 0 && w.err == nil {
		_, w.err = w.w.Write(zeros[:n])
		w.off += n
	}
}

func (w *spanWriter) write(b []byte) snapSpan {
	if len(b) >= snapPage {
		w.pad(snapPage)
	} else {
		w.pad(64)
	}
	s := snapSpan{Off: w.off, Len: int64(len(b)), CRC: crc32.Checksum(b, castagnoli)}
	if w.err == nil {
		_, w.err = w.w.Write(b)
	}
	w.off += int64(len(b))
	return s
}

func snapHeaderFor(meta snapSpan, size int64) []byte {
	h := make([]byte, snapHeader)
	copy(h, snapMagic)
	le := binary.LittleEndian
	le.PutUint32(h[8:], snapVersion)
	*(*uint32)(unsafe.Pointer(&h[12])) = 0x01020304 // native order
	le.PutUint64(h[16:], layoutFingerprint())
	le.PutUint64(h[24:], uint64(meta.Off))
	le.PutUint64(h[32:], uint64(meta.Len))
	le.PutUint32(h[40:], meta.CRC)
	le.PutUint64(h[44:], uint64(size))
	le.PutUint32(h[52:], crc32.Checksum(h[:52], castagnoli))
	return h
}

// snapMapping is an open snapshot file's memory: the shards made from it
// point into it and keep it (it is unmapped once none does).
type snapMapping struct {
	mem  []byte
	meta snapMeta
}

// errSnap says why a snapshot file is not used.
type errSnap struct{ why string }

func (e *errSnap) Error() string { return e.why }

func badSnap(format string, args ...any) error { return &errSnap{fmt.Sprintf(format, args...)} }

// openSnapFile maps the snapshot file at path and returns the loaded
// snapshot it holds, when the file is whole and of this build's format
// and of the catalog named ident at a generation no later than gen. It
// reads the header and metadata (checksummed) and O(categories) of the
// sections; verifySnap checks the sections' checksums.
func openSnapFile(path, ident string, gen int64) (*snapshot, *snapMapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() < snapPage {
		return nil, nil, badSnap("truncated: %d bytes", st.Size())
	}
	if int64(int(st.Size())) != st.Size() {
		return nil, nil, badSnap("%d bytes: too large for this system", st.Size())
	}
	mem, mapped, err := mapFile(f, int(st.Size()))
	if err != nil {
		return nil, nil, err
	}
	m := &snapMapping{mem: mem}
	snap, err := m.read(ident, gen)
	if err != nil {
		if mapped {
			unmapMemory(mem) // nothing made from it is kept
		}
		return nil, nil, err
	}
	if mapped {
		runtime.AddCleanup(m, func(b []byte) { unmapMemory(b) }, mem)
	}
	return snap, m, nil
}

func (m *snapMapping) span(s snapSpan, what string) ([]byte, error) {
	if s.Off < snapPage || s.Len < 0 || s.Off > int64(len(m.mem)) || s.Len > int64(len(m.mem))-s.Off {
		return nil, badSnap("%s at %d+%d: outside the file's %d bytes", what, s.Off, s.Len, len(m.mem))
	}
	return m.mem[s.Off : s.Off+s.Len : s.Off+s.Len], nil
}

func (m *snapMapping) read(ident string, gen int64) (*snapshot, error) {
	h := m.mem[:snapHeader]
	le := binary.LittleEndian
	switch {
	case string(h[:8]) != snapMagic:
		return nil, badSnap("not an advisor snapshot file")
	case le.Uint32(h[52:]) != crc32.Checksum(h[:52], castagnoli):
		return nil, badSnap("header checksum mismatch")
	case le.Uint32(h[8:]) != snapVersion:
		return nil, badSnap("format version %d, this build reads %d", le.Uint32(h[8:]), snapVersion)
	case *(*uint32)(unsafe.Pointer(&h[12])) != 0x01020304:
		return nil, badSnap("written on a machine of the other byte order")
	case le.Uint64(h[16:]) != layoutFingerprint():
		return nil, badSnap("written by a build whose entries are laid out differently")
	case le.Uint64(h[44:]) != uint64(len(m.mem)):
		return nil, badSnap("truncated or extended: %d bytes, the header says %d", len(m.mem), le.Uint64(h[44:]))
	}
	mb, err := m.span(snapSpan{Off: int64(le.Uint64(h[24:])), Len: int64(le.Uint64(h[32:]))}, "metadata")
	if err != nil {
		return nil, err
	}
	if crc32.Checksum(mb, castagnoli) != le.Uint32(h[40:]) {
		return nil, badSnap("metadata checksum mismatch")
	}
	meta := &m.meta
	if err := gob.NewDecoder(bytes.NewReader(mb)).Decode(meta); err != nil {
		return nil, badSnap("metadata: %v", err)
	}
	switch {
	case meta.Catalog != ident:
		return nil, badSnap("written for another catalog (a different or re-created database)")
	case meta.Gen > gen:
		return nil, badSnap("written at catalog generation %d, later than the catalog's %d (a re-created database?)", meta.Gen, gen)
	}
	snap := &snapshot{shards: make(map[string]*shard, len(meta.Shards)), loaded: true, gen: meta.Gen}
	for i := range meta.Shards {
		sm := &meta.Shards[i]
		if i > 0 && sm.Category <= meta.Shards[i-1].Category {
			return nil, badSnap("categories out of order at %q", sm.Category)
		}
		sh, err := m.shard(sm)
		if err != nil {
			return nil, badSnap("category %q: %v", sm.Category, err)
		}
		snap.shards[sh.category] = sh
		snap.all = append(snap.all, sh)
	}
	kb, err := m.span(meta.Keys, "key index")
	if err != nil {
		return nil, err
	}
	p := snapParts{}
	var keys []keyRef
	at := arraySection("keys", func(*snapParts) *[]keyRef { return &keys })
	if !at.use(&p, kb) {
		return nil, badSnap("key index: %d bytes, not whole entries", len(kb))
	}
	snap.keys = keys
	return snap, nil
}

// shard makes a shard over the mapping.
func (m *snapMapping) shard(sm *snapShard) (*shard, error) {
	if len(sm.Sections) != len(snapSections) {
		return nil, badSnap("%d sections, want %d", len(sm.Sections), len(snapSections))
	}
	// The entries' strings are cloned when handed out (own), as those of
	// an arena outside the heap.
	sh := &shard{category: sm.Category, arena: &arena{off: true}, mapped: m, brands: sm.Brands, shops: sm.Shops,
		platforms: sm.Platforms, shopTypes: sm.ShopTypes, imgPre: sm.ImgPre, dsrAvg: sm.DSRAvg}
	sh.rank.maxAt = sm.MaxAt
	p := snapParts{sh: sh, sim: similar.Frozen{N: sm.SimN, Identity: sm.SimIdentity}}
	for i, s := range snapSections {
		b, err := m.span(sm.Sections[i], s.name)
		if err != nil {
			return nil, err
		}
		if !s.use(&p, b) {
			return nil, badSnap("section %s: %d bytes at %d, not whole aligned values", s.name, len(b), sm.Sections[i].Off)
		}
	}
	var ok [3]bool
	var at attrs
	at.brands, ok[0] = attrMap(sm.Attrs[0])
	at.platforms, ok[1] = attrMap(sm.Attrs[1])
	at.shops, ok[2] = attrMap(sm.Attrs[2])
	sh.attrs = at
	n := len(sh.recs)
	switch {
	case ok != [3]bool{true, true, true}:
		return nil, errors.New("an attribute listed twice")
	case len(sh.rows) != n || len(sh.sales30)+len(sh.sales32) != n || sm.SimN != n:
		return nil, fmt.Errorf("%d entries but %d rows, %d sales, %d titles", n, len(sh.rows), len(sh.sales30)+len(sh.sales32), sm.SimN)
	case len(sh.wideAt) != len(sh.wides) || !slices.IsSorted(sh.wideAt) || len(sh.wideAt) > 0 && (sh.wideAt[0] < 0 || int(sh.wideAt[len(sh.wideAt)-1]) >= n):
		return nil, errors.New("wide entries out of place")
	case len(sh.imgPre) == 0:
		return nil, errors.New("no image link prefixes")
	case len(sh.rank.byPrice) != n || len(sh.rank.byRate) != n || len(sh.rank.byBrand) != n || len(sh.rank.brandAt) != len(at.brands)+1:
		return nil, errors.New("ranking orders of the wrong length")
	case len(sh.platforms) > 1<<16 || len(sh.shopTypes) > 1<<16:
		return nil, errors.New("too many platforms or shop types")
	}
	for k := range sh.rank.byKind {
		if len(sh.rank.byKind[k]) > n {
			return nil, errors.New("ranking orders of the wrong length")
		}
	}
	sim, err := similar.Import(p.sim)
	if err != nil {
		return nil, err
	}
	sh.sim = sim
	return sh, nil
}

// verifySnap checks every section of the mapping against its checksum.
func verifySnap(m *snapMapping) error {
	check := func(s snapSpan, what string) error {
		b, err := m.span(s, what)
		if err != nil {
			return err
		}
		if crc32.Checksum(b, castagnoli) != s.CRC {
			return badSnap("%s: checksum mismatch", what)
		}
		return nil
	}
	for _, sm := range m.meta.Shards {
		for i, s := range sm.Sections {
			if err := check(s, sm.Category+" "+snapSections[i].name); err != nil {
				return err
			}
		}
	}
	return check(m.meta.Keys, "key index")
}

// snapFile is where and how often the index keeps its snapshot file.
type snapFile struct {
	path  string
	every time.Duration // at most one write per
	log   *slog.Logger

	tried     bool      // the file was read (or found unusable) once; under index.mu
	savedGen  int64     // the generation of the file last written or read; under index.mu
	lastWrite time.Time // under index.mu
	writing   atomic.Bool
	ident     string // the catalog's identity, once known; under index.mu
	bg        sync.WaitGroup
	written   atomic.Int64 // the size of the file last written
	took      atomic.Int64 // how long writing it took, ns
}

// DefaultSnapshotEvery is how often at most the advisor rewrites its
// snapshot file after imports changed categories.
const DefaultSnapshotEvery = 10 * time.Minute

// DefaultSnapshotPath is where the advisor keeps its snapshot file for a
// database: beside a SQLite file (dbPath), else in the user's cache
// directory under a name derived from the catalog's identity.
func DefaultSnapshotPath(dbPath, catalogIdentity string) (string, error) {
	if dbPath != "" {
		return dbPath + ".advisor", nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(catalogIdentity))
	return filepath.Join(dir, "qunke", fmt.Sprintf("%x.advisor", sum[:12])), nil
}

// UseSnapshotFile makes the advisor keep what it loads in the snapshot
// file at path and start from it (see snapfile.go); every is how often at
// most it rewrites the file after imports (0: DefaultSnapshotEvery). Call
// it before the advisor is used.
func (a *Advisor) UseSnapshotFile(path string, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = DefaultSnapshotEvery
	}
	if log == nil {
		log = slog.Default()
	}
	a.idx.file = &snapFile{path: path, every: every, log: log, savedGen: -1}
}

// identity returns the catalog's identity, read once.
func (x *index) identity(ctx context.Context) (string, error) {
	if x.file.ident == "" {
		id, err := x.s.Identity(ctx)
		if err != nil {
			return "", err
		}
		x.file.ident = id
	}
	return x.file.ident, nil
}

// loadFileLocked publishes the snapshot in the file, when there is a
// usable one, and starts checking its sections and catching up with the
// catalog in the background. It reports whether it did.
func (x *index) loadFileLocked(ctx context.Context) bool {
	fl := x.file
	if fl == nil || fl.tried {
		return false
	}
	fl.tried = true
	start := time.Now()
	ident, err := x.identity(ctx)
	if err != nil {
		fl.log.Warn("advisor: snapshot file not used", "path", fl.path, "err", err)
		return false
	}
	gen, err := x.s.Generation(ctx)
	if err != nil {
		fl.log.Warn("advisor: snapshot file not used", "path", fl.path, "err", err)
		return false
	}
	snap, m, err := openSnapFile(fl.path, ident, gen)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false
	case err != nil:
		fl.log.Warn("advisor: snapshot file ignored; reading the catalog instead", "path", fl.path, "reason", err)
		return false
	}
	x.cur.Store(snap)
	x.gen, fl.savedGen = snap.gen, snap.gen
	fl.log.Info("advisor: started from the snapshot file", "path", fl.path, "categories", len(snap.all), "items", len(snap.keys),
		"generation", snap.gen, "elapsed", time.Since(start).Round(time.Millisecond))
	bctx := context.WithoutCancel(ctx)
	fl.bg.Add(1)
	go func() {
		defer fl.bg.Done()
		t := time.Now()
		if err := verifySnap(m); err != nil {
			fl.log.Warn("advisor: snapshot file damaged; reading the catalog instead", "path", fl.path, "reason", err)
			x.mu.Lock()
			defer x.mu.Unlock()
			fl.savedGen = -1
			if _, err := x.loadAllLocked(bctx); err != nil {
				fl.log.Error("advisor: load", "err", err)
			}
			return
		}
		fl.log.Info("advisor: snapshot file checked", "elapsed", time.Since(t).Round(time.Millisecond))
		if _, err := x.catchUp(bctx); err != nil {
			fl.log.Warn("advisor: catch up from the snapshot file", "err", err)
		}
	}()
	return true
}

// saveLocked writes the current snapshot to the file in the background
// when it is loaded and newer than the file, and the file was last
// written long enough ago (or force).
func (x *index) saveLocked(ctx context.Context, force bool) {
	fl := x.file
	cur := x.cur.Load()
	if fl == nil || !cur.loaded || cur.gen <= fl.savedGen || !force && time.Since(fl.lastWrite) < fl.every {
		return
	}
	ident, err := x.identity(ctx)
	if err != nil || !fl.writing.CompareAndSwap(false, true) {
		return
	}
	fl.savedGen, fl.lastWrite = cur.gen, time.Now()
	fl.bg.Add(1)
	go func() {
		defer fl.bg.Done()
		defer fl.writing.Store(false)
		t := time.Now()
		size, err := writeSnapFile(fl.path, ident, cur)
		if err != nil {
			fl.log.Warn("advisor: snapshot file not written", "path", fl.path, "err", err)
			return
		}
		took := time.Since(t)
		fl.log.Info("advisor: snapshot file written", "path", fl.path, "bytes", size, "generation", cur.gen, "elapsed", took.Round(time.Millisecond))
		fl.written.Store(size)
		fl.took.Store(int64(took))
	}()
}

// SnapshotFileWritten returns the size of the snapshot file this advisor
// last wrote and how long writing it took (0, 0 before it wrote one).
func (a *Advisor) SnapshotFileWritten() (int64, time.Duration) {
	if a.idx.file == nil {
		return 0, 0
	}
	return a.idx.file.written.Load(), time.Duration(a.idx.file.took.Load())
}

// WaitSnapshotFile waits for the snapshot file's background work (a write,
// a check) started so far.
func (a *Advisor) WaitSnapshotFile() {
	if a.idx.file != nil {
		a.idx.file.bg.Wait()
	}
}

package catalog

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qunke/qunke/internal/store"
)

// ChunkCap is how many observations one history chunk holds before a new one
// is started. Larger chunks compress better; smaller ones are cheaper to
// rewrite on append.
const ChunkCap = 256

// frameFlush is how many records a Writer buffers before it writes a pending
// frame.
const frameFlush = 65536

// Store reads and writes the catalog. It is safe for concurrent use; it
// caches the mapping from platform ids to Qunke's item ids.
type Store struct {
	db   *store.DB
	mu   sync.Mutex
	refs KeyMap[itemRef]
	// gen is the catalog generation refs is known to match: a writer that
	// finds another (another process's commit, see changes.go) drops refs,
	// whose fingerprints and categories may be stale. -1: unknown.
	gen  int64
	cats categories
}

type itemRef struct {
	id       int64
	attrHash int64  // of the last record written to the item (see updateItem)
	cat      uint32 // the item's category, interned in Store.cats
}

// NewStore returns a catalog store over an open, migrated database.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, refs: NewKeyMap[itemRef](), gen: -1, cats: categories{ids: map[string]uint32{}}}
}

// DB returns the underlying database.
func (s *Store) DB() *store.DB { return s.db }

// IngestStats counts what a write did.
type IngestStats struct {
	Records      int // observations accepted
	ItemsNew     int
	ItemsUpdated int // existing items whose attributes changed
}

// Writer writes records in one transaction: nothing is visible until Commit,
// and Rollback (or an error) leaves the database as it was.
type Writer struct {
	s       *Store
	ctx     context.Context
	tx      *sql.Tx
	buf     []framed
	stats   IngestStats
	newRefs KeyMap[itemRef] // items added, changed or first looked up in this transaction
	touched []bool          // by category id: categories whose items this transaction changed
	gen     int64           // the catalog generation when the transaction began
	now     int64
	hashBuf []byte
	stmts   struct{ find, insert, update, setHash *sql.Stmt }
}

type framed struct {
	item int64
	seq  int // arrival order: a later record for the same time wins
	obs  Observation
}

// The item statements. An item is found by its identity, (family, item id).
// An update merges: a value the record lacks (empty text, a DSR score of 0,
// an unknown shop type, a default platform label) leaves the stored one; a
// category is replaced unless the record's is empty or a parent of the
// stored one (the stored path is then the more precise: "美妆" never
// replaces "美妆/面部护肤/面霜", "服饰" does replace it).
const (
	findItem   = `SELECT id, attr_hash, category_path FROM items WHERE family = $1 AND item_id = $2`
	insertItem = `INSERT INTO items (platform, item_id, title, short_title, category_path, brand,
		shop_id, shop_name, shop_type, dsr_desc, dsr_service, dsr_ship, image_url, attr_hash, created_at, updated_at, family)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)
		ON CONFLICT DO NOTHING RETURNING id`
)

// merged says what each attribute becomes when a record ($2..$13 of
// updateItem) meets the stored item.
var merged = []struct{ col, expr string }{
	{"platform", keepIfEmpty("platform", 2)}, {"title", keepIfEmpty("title", 3)}, {"short_title", keepIfEmpty("short_title", 4)},
	{"category_path", `CASE WHEN CAST($5 AS TEXT) = '' OR substr(category_path, 1, length(CAST($5 AS TEXT)) + 1) = CAST($5 AS TEXT) || '/'
		THEN category_path ELSE CAST($5 AS TEXT) END`},
	{"brand", keepIfEmpty("brand", 6)}, {"shop_id", keepIfEmpty("shop_id", 7)}, {"shop_name", keepIfEmpty("shop_name", 8)},
	{"shop_type", keepIfEmpty("shop_type", 9)}, {"dsr_desc", keepIfZero("dsr_desc", 10)},
	{"dsr_service", keepIfZero("dsr_service", 11)}, {"dsr_ship", keepIfZero("dsr_ship", 12)}, {"image_url", keepIfEmpty("image_url", 13)},
}

// updateItem merges a record into an item when that changes anything
// (no row comes back otherwise); setItemHash just notes the record.
var (
	updateItem  = mergeUpdate()
	setItemHash = `UPDATE items SET attr_hash = $2 WHERE id = $1`
)

func mergeUpdate() string {
	var set, differ []string
	for _, m := range merged {
		set = append(set, m.col+" = "+m.expr)
		differ = append(differ, m.col+" <> "+m.expr)
	}
	return `UPDATE items SET ` + strings.Join(set, ", ") + `, attr_hash = $14, updated_at = $15
		WHERE id = $1 AND (` + strings.Join(differ, " OR ") + `) RETURNING category_path`
}

func keepIfEmpty(col string, n int) string {
	return fmt.Sprintf(`CASE WHEN CAST($%[2]d AS TEXT) = '' THEN %[1]s ELSE CAST($%[2]d AS TEXT) END`, col, n)
}

func keepIfZero(col string, n int) string {
	return fmt.Sprintf(`CASE WHEN CAST($%[2]d AS INTEGER) = 0 THEN %[1]s ELSE CAST($%[2]d AS INTEGER) END`, col, n)
}

// Begin starts a write transaction.
func (s *Store) Begin(ctx context.Context) (*Writer, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("catalog: begin: %w", err)
	}
	w := &Writer{s: s, ctx: ctx, tx: tx, newRefs: NewKeyMap[itemRef](), now: time.Now().Unix()}
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	w.stmts.find = prep(findItem)
	w.stmts.insert = prep(insertItem)
	w.stmts.update = prep(updateItem)
	w.stmts.setHash = prep(setItemHash)
	if err == nil {
		err = tx.QueryRowContext(ctx, `SELECT gen FROM catalog_generation WHERE id = 1`).Scan(&w.gen)
	}
	if err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("catalog: prepare: %w", err)
	}
	s.mu.Lock()
	if s.gen != w.gen {
		s.refs, s.gen = NewKeyMap[itemRef](), w.gen
	}
	s.mu.Unlock()
	return w, nil
}

// Add writes records (each must have passed Check). Item attributes are
// merged into the stored ones (see updateItem); observations go to a
// pending frame that Compact later folds into the history.
func (w *Writer) Add(recs []Record) error {
	for i := range recs {
		r := &recs[i]
		id, err := w.itemID(r)
		if err != nil {
			return err
		}
		w.buf = append(w.buf, framed{item: id, seq: w.stats.Records, obs: r.Obs})
		w.stats.Records++
		if len(w.buf) >= frameFlush {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Writer) itemID(r *Record) (int64, error) {
	it := &r.Item
	key := it.Key()
	label := it.Platform
	if r.PlatformDefault {
		label = "" // keeps a stored item's label
	}
	h := attrHash(&w.hashBuf, it, label)
	var ref itemRef
	ok := false
	if w.newRefs.Len() > 0 {
		ref, ok = w.newRefs.Get(key)
	}
	if !ok {
		// Lock only the lookup: holding the lock across the database calls
		// below could deadlock two writers on PostgreSQL (one waiting on a
		// row the other inserted, the other on this mutex).
		w.s.mu.Lock()
		ref, ok = w.s.refs.Get(key)
		w.s.mu.Unlock()
	}
	if !ok {
		var cat string
		err := w.stmts.find.QueryRowContext(w.ctx, string(key.Platform.Family()), key.ItemID).Scan(&ref.id, &ref.attrHash, &cat)
		if errors.Is(err, sql.ErrNoRows) {
			var added bool
			if ref, added, err = w.insert(it, h); added || err != nil {
				return ref.id, err
			}
			// Another writer added it since (PostgreSQL): update that one.
			err = w.stmts.find.QueryRowContext(w.ctx, string(key.Platform.Family()), key.ItemID).Scan(&ref.id, &ref.attrHash, &cat)
		}
		if err != nil {
			return 0, fmt.Errorf("catalog: find item %s: %w", key, err)
		}
		ref.cat = w.s.cats.id(cat)
	}
	w.touch(ref.cat)
	if ref.attrHash != h {
		var cat string
		err := w.stmts.update.QueryRowContext(w.ctx, ref.id, string(label), it.Title, it.ShortTitle, it.CategoryPath, it.Brand,
			it.ShopID, it.ShopName, string(it.ShopType), it.DSRDesc, it.DSRService, it.DSRShip, it.ImageURL, h, w.now).Scan(&cat)
		switch {
		case errors.Is(err, sql.ErrNoRows): // the record adds nothing the item lacks
			_, err = w.stmts.setHash.ExecContext(w.ctx, ref.id, h)
		case err == nil:
			ref.cat = w.s.cats.id(cat)
			w.touch(ref.cat)
			w.stats.ItemsUpdated++
		}
		if err != nil {
			return 0, fmt.Errorf("catalog: update item %s: %w", key, err)
		}
		ref.attrHash = h
		w.newRefs.Put(key, ref)
	} else if !ok {
		w.newRefs.Put(key, ref) // found in the database: cached once committed
	}
	return ref.id, nil
}

// insert adds a new item; added is false when another transaction added it
// first (it waited for that one to commit).
func (w *Writer) insert(it *Item, h int64) (ref itemRef, added bool, err error) {
	ref = itemRef{attrHash: h, cat: w.s.cats.id(it.CategoryPath)}
	err = w.stmts.insert.QueryRowContext(w.ctx, string(it.Platform), it.ItemID, it.Title, it.ShortTitle,
		it.CategoryPath, it.Brand, it.ShopID, it.ShopName, string(it.ShopType), it.DSRDesc, it.DSRService,
		it.DSRShip, it.ImageURL, h, w.now, string(it.Platform.Family())).Scan(&ref.id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return itemRef{}, false, nil
	case err != nil:
		return itemRef{}, false, fmt.Errorf("catalog: add item %s: %w", it.Key(), err)
	}
	w.stats.ItemsNew++
	w.touch(ref.cat)
	w.newRefs.Put(it.Key(), ref)
	return ref, true, nil
}

func (w *Writer) touch(cat uint32) {
	if int(cat) >= len(w.touched) {
		w.touched = append(w.touched, make([]bool, int(cat)+1-len(w.touched))...)
	}
	w.touched[cat] = true
}

// categories interns category paths, so each cached item carries a small
// number for its category.
type categories struct {
	mu    sync.Mutex
	ids   map[string]uint32
	names []string
}

func (c *categories) id(name string) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.ids[name]
	if !ok {
		id = uint32(len(c.names))
		c.ids[name] = id
		c.names = append(c.names, name)
	}
	return id
}

func (c *categories) name(id uint32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.names[id]
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// attrHash fingerprints the descriptive attributes, so an unchanged item
// costs no write: two hardware-accelerated CRCs of the attributes laid out
// in buf make 64 bits.
func attrHash(buf *[]byte, it *Item, label Platform) int64 {
	b := (*buf)[:0]
	for _, s := range [...]string{string(label), it.Title, it.ShortTitle, it.CategoryPath, it.Brand, it.ShopID, it.ShopName, string(it.ShopType), it.ImageURL} {
		b = append(append(b, s...), 0)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(it.DSRDesc))
	b = binary.LittleEndian.AppendUint32(b, uint32(it.DSRService))
	b = binary.LittleEndian.AppendUint32(b, uint32(it.DSRShip))
	*buf = b
	return int64(uint64(crc32.Checksum(b, castagnoli))<<32 | uint64(crc32.ChecksumIEEE(b)))
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	data := encodeFrame(nil, w.buf)
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO pending_observations (created_at, n, data) VALUES ($1, $2, $3)`,
		w.now, len(w.buf), data)
	if err != nil {
		return fmt.Errorf("catalog: write observations: %w", err)
	}
	w.buf = w.buf[:0]
	return nil
}

// Commit writes what is buffered and commits.
func (w *Writer) Commit() (IngestStats, error) {
	if err := w.flush(); err != nil {
		w.tx.Rollback()
		return w.stats, err
	}
	gen, err := w.logChanges()
	if err != nil {
		w.tx.Rollback()
		return w.stats, err
	}
	if err := w.tx.Commit(); err != nil {
		return w.stats, fmt.Errorf("catalog: commit: %w", err)
	}
	w.s.mu.Lock()
	w.s.refs.Merge(&w.newRefs)
	switch {
	case gen == w.gen+1 && w.s.gen == w.gen:
		w.s.gen = gen // no other commit came between
	case gen != 0:
		w.s.gen = -1
	}
	w.s.mu.Unlock()
	return w.stats, nil
}

// Rollback abandons the transaction.
func (w *Writer) Rollback() { w.tx.Rollback() }

// Ingest writes records in one transaction.
func (s *Store) Ingest(ctx context.Context, recs []Record) (IngestStats, error) {
	w, err := s.Begin(ctx)
	if err != nil {
		return IngestStats{}, err
	}
	if err := w.Add(recs); err != nil {
		w.Rollback()
		return IngestStats{}, err
	}
	return w.Commit()
}

// A frame is a batch of observations of many items: per item, in item order,
// uvarint item id delta, uvarint chunk length, chunk (appendChunk).
func encodeFrame(dst []byte, buf []framed) []byte {
	sortFramed(buf)
	var obs []Observation
	var prevItem int64
	var chunk []byte
	for i := 0; i < len(buf); {
		j := i
		obs = obs[:0]
		for ; j < len(buf) && buf[j].item == buf[i].item; j++ {
			if len(obs) > 0 && obs[len(obs)-1].At == buf[j].obs.At {
				obs[len(obs)-1] = buf[j].obs // same time: the later record wins
				continue
			}
			obs = append(obs, buf[j].obs)
		}
		for part := obs; len(part) > 0; {
			k := min(ChunkCap, len(part))
			chunk = appendChunk(chunk[:0], part[:k])
			dst = binary.AppendUvarint(dst, uint64(buf[i].item-prevItem))
			dst = binary.AppendUvarint(dst, uint64(len(chunk)))
			dst = append(dst, chunk...)
			prevItem = buf[i].item
			part = part[k:]
		}
		i = j
	}
	return dst
}

func sortFramed(buf []framed) {
	sort.Slice(buf, func(a, b int) bool {
		x, y := &buf[a], &buf[b]
		if x.item != y.item {
			return x.item < y.item
		}
		if x.obs.At != y.obs.At {
			return x.obs.At < y.obs.At
		}
		return x.seq < y.seq
	})
}

// walkFrame calls fn for each item's chunk in a frame. When only is non-zero
// other items are skipped without decoding.
func walkFrame(b []byte, only int64, fn func(item int64, chunk []byte) error) error {
	c := frameCursor{rest: b}
	for c.next(); !c.done; c.next() {
		if only == 0 || c.item == only {
			if err := fn(c.item, c.chunk); err != nil {
				return err
			}
		}
	}
	return c.err
}

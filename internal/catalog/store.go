package catalog

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
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
}

type itemRef struct {
	id       int64
	attrHash int64
}

// NewStore returns a catalog store over an open, migrated database.
func NewStore(db *store.DB) *Store {
	return &Store{db: db, refs: NewKeyMap[itemRef]()}
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
	now     int64
	hashBuf []byte
	stmts   struct{ find, insert, update *sql.Stmt }
}

type framed struct {
	item int64
	seq  int // arrival order: a later record for the same time wins
	obs  Observation
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
	w.stmts.find = prep(`SELECT id, attr_hash FROM items WHERE platform = $1 AND item_id = $2`)
	w.stmts.insert = prep(`INSERT INTO items (platform, item_id, title, short_title, category_path, brand,
		shop_id, shop_name, shop_type, dsr_desc, dsr_service, dsr_ship, image_url, attr_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`)
	w.stmts.update = prep(`UPDATE items SET title = $2, short_title = $3, category_path = $4, brand = $5,
		shop_id = $6, shop_name = $7, shop_type = $8, dsr_desc = $9, dsr_service = $10, dsr_ship = $11,
		image_url = $12, attr_hash = $13, updated_at = $14 WHERE id = $1`)
	if err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("catalog: prepare: %w", err)
	}
	return w, nil
}

// Add writes records (each must have passed Check). Item attributes are kept
// as the last record gives them; observations go to a pending frame that
// Compact later folds into the history.
func (w *Writer) Add(recs []Record) error {
	for i := range recs {
		r := &recs[i]
		id, err := w.itemID(&r.Item)
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

func (w *Writer) itemID(it *Item) (int64, error) {
	key := it.Key()
	h := attrHash(&w.hashBuf, it)
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
		err := w.stmts.find.QueryRowContext(w.ctx, string(key.Platform), key.ItemID).Scan(&ref.id, &ref.attrHash)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = w.stmts.insert.QueryRowContext(w.ctx, string(it.Platform), it.ItemID, it.Title, it.ShortTitle,
				it.CategoryPath, it.Brand, it.ShopID, it.ShopName, string(it.ShopType), it.DSRDesc, it.DSRService,
				it.DSRShip, it.ImageURL, h, w.now).Scan(&ref.id)
			if err != nil {
				return 0, fmt.Errorf("catalog: add item %s: %w", key, err)
			}
			ref.attrHash = h
			w.stats.ItemsNew++
			w.newRefs.Put(key, ref)
			return ref.id, nil
		case err != nil:
			return 0, fmt.Errorf("catalog: find item %s: %w", key, err)
		}
	}
	if ref.attrHash != h {
		_, err := w.stmts.update.ExecContext(w.ctx, ref.id, it.Title, it.ShortTitle, it.CategoryPath, it.Brand,
			it.ShopID, it.ShopName, string(it.ShopType), it.DSRDesc, it.DSRService, it.DSRShip, it.ImageURL, h, w.now)
		if err != nil {
			return 0, fmt.Errorf("catalog: update item %s: %w", key, err)
		}
		ref.attrHash = h
		w.stats.ItemsUpdated++
		w.newRefs.Put(key, ref)
	} else if !ok {
		w.newRefs.Put(key, ref) // found in the database: cached once committed
	}
	return ref.id, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// attrHash fingerprints the descriptive attributes, so an unchanged item
// costs no write: two hardware-accelerated CRCs of the attributes laid out
// in buf make 64 bits.
func attrHash(buf *[]byte, it *Item) int64 {
	b := (*buf)[:0]
	for _, s := range [...]string{it.Title, it.ShortTitle, it.CategoryPath, it.Brand, it.ShopID, it.ShopName, string(it.ShopType), it.ImageURL} {
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
	if err := w.tx.Commit(); err != nil {
		return w.stats, fmt.Errorf("catalog: commit: %w", err)
	}
	w.s.mu.Lock()
	w.s.refs.Merge(&w.newRefs)
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

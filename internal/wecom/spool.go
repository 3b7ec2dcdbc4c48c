package wecom

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"time"
)

// On SQLite a large import holds the write lock for its whole file (a
// minute and more for a million rows, docs/BENCHMARKS.md), longer than
// WeCom waits for an answer (5 s, three retries). So that an event is
// still stored before the answer, the inbox then appends it to a spool
// file beside the database (the database path + SpoolSuffix), written
// and fsynced before the answer, and moves the spooled events into
// wecom_inbox, in order, once the lock is free (tried every second). A
// crash loses nothing: the spool is read again at the next start, and an
// event moved twice is kept once (its dedup key). PostgreSQL has no such
// lock and no spool. The spool belongs to the one server on the SQLite
// file (SQLite is one server's database; several servers share
// PostgreSQL): commands read the inbox through NewInboxView, which leaves
// it alone.

// SpoolSuffix names the spool file after the SQLite database's path.
const SpoolSuffix = "-wecom-spool"

// spoolWait is how long a Put waits for SQLite's lock before it spools;
// drainWait how long a move from the spool waits.
const (
	spoolWait = time.Second
	drainWait = 100 * time.Millisecond
)

// maxSpool bounds the spool file: past it, events are refused (503) and
// WeCom retries them.
const maxSpool = 64 << 20

// spooled is one event as the spool and insert keep it.
type spooled struct {
	Key      string `json:"k"`
	Event    string `json:"e"`
	Chat     string `json:"c"`
	Created  int64  `json:"t"`
	Received int64  `json:"r"` // unix ms
	Body     string `json:"b"`
}

// spool is the file; only the inbox's writer goroutine uses it.
type spool struct {
	path string
	size int64
}

func newSpool(path string) *spool {
	s := &spool{path: path}
	if fi, err := os.Stat(path); err == nil {
		s.size = fi.Size()
	}
	return s
}

func (s *spool) pending() bool { return s.size > 0 }

var errSpoolFull = errors.New("wecom: the spool file is full")

// append writes recs, one JSON line each, and syncs the file.
func (s *spool) append(recs []spooled) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if s.size+int64(buf.Len()) > maxSpool {
		return errSpoolFull
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	s.size += int64(buf.Len())
	return f.Close()
}

// read returns the spooled events in order. A line cut short by a crash
// in the middle of an append was never answered: it is skipped.
func (s *spool) read() ([]spooled, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		s.size = 0
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []spooled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 8*maxCallbackBody)
	for sc.Scan() {
		var r spooled
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Key != "" {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

// clear empties the spool once its events are in the database.
func (s *spool) clear() error {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s.size = 0
	return nil
}

package wecom

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/store/storetest"
)

// TestCallbackSpoolsWhileLocked: on SQLite, while another connection (an
// import) holds the write lock, callbacks are still answered within
// WeCom's 5 s, their events kept in the spool file; when the lock is
// free they reach the inbox, once, and a crash with a spool pending loses
// nothing.
func TestCallbackSpoolsWhileLocked(t *testing.T) {
	db := storetest.SQLite(t)
	f := newFixture(t, db)
	f.group("福利群7", "wrS")
	importer := storetest.Reopen(t, db)
	tx, err := importer.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A write takes the lock (the import's transaction).
	if _, err := tx.Exec(`INSERT INTO wecom_chat_versions (chat_id) VALUES ('import-holds-the-lock')`); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		start := time.Now()
		f.send(chatChange("wrS", "add_member", t0+int64(i), fmt.Sprint("s", i), fmt.Sprint("s", i+1), fmt.Sprintf("wmS%d", i)))
		if d := time.Since(start); d > 4*time.Second {
			t.Fatalf("answered after %v", d)
		}
	}
	f.send(chatChange("wrS", "add_member", t0, "s0", "s1", "wmS0")) // a retry, spooled too
	if fi, err := os.Stat(db.Path() + SpoolSuffix); err != nil || fi.Size() == 0 {
		t.Fatalf("no spool: %v", err)
	}
	// The server dies; another starts on the same database and finds the
	// spool once the import is done.
	f.inbox.Close()
	tx.Rollback()
	in := NewInbox(db)
	defer in.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := in.Counts(context.Background()); err == nil && c.New == 5 {
			break
		}
		if time.Now().After(deadline) {
			c, err := in.Counts(context.Background())
			t.Fatalf("inbox %+v, %v", c, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(db.Path() + SpoolSuffix); !os.IsNotExist(err) {
		t.Fatalf("spool left: %v", err)
	}
	f.inbox = in
	if n := f.apply(f.worker(nil)); n != 5 {
		t.Fatalf("applied %d", n)
	}
	if f.memberEvents() != 5 {
		t.Fatalf("%d member events", f.memberEvents())
	}
}

// TestSpoolSkipsTornLine: a line cut short by a crash mid-append (never
// answered) is skipped; the others are read.
func TestSpoolSkipsTornLine(t *testing.T) {
	s := newSpool(t.TempDir() + "/spool")
	if err := s.append([]spooled{{Key: "a", Body: "<xml>&</xml>"}, {Key: "b"}}); err != nil {
		t.Fatal(err)
	}
	fh, _ := os.OpenFile(s.path, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(`{"k":"c","b":"<xml`)
	fh.Close()
	recs, err := s.read()
	if err != nil || len(recs) != 2 || recs[0].Body != "<xml>&</xml>" || recs[1].Key != "b" {
		t.Fatalf("%+v %v", recs, err)
	}
	if err := s.clear(); err != nil || s.pending() {
		t.Fatal(err)
	}
}

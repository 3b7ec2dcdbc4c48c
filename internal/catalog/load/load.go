// Package load imports feed files into the catalog: one transaction per
// file, bad rows reported with file, line and column, nothing half-written.
// The CLI and the console's upload page share it.
package load

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qunke/qunke/internal/catalog"
	"github.com/qunke/qunke/internal/catalog/feed"
	"github.com/qunke/qunke/internal/msg"
)

// ErrBadRows is returned when a file has bad rows and SkipBad is off: the
// file was not imported.
var ErrBadRows = msg.New("load.bad_rows")

// Options says how to import.
type Options struct {
	Feed     feed.Options
	SkipBad  bool                    // import the good rows, write the bad ones beside the file
	Progress func(done, total int64) // may be nil
}

// Result says what importing one file did.
type Result struct {
	File       string
	Feed       feed.Result
	Good       int
	Stats      catalog.IngestStats
	Imported   bool
	RejectFile string // where rejected rows were written (SkipBad)
	Elapsed    time.Duration
}

// batchSize is how many rows are handed to the writer at a time.
const batchSize = 4096

// File imports one feed file from disk.
func File(ctx context.Context, s *catalog.Store, path string, opt Options) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{File: path}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Result{File: path}, err
	}
	res, err := Reader(ctx, s, path, f, fi.Size(), opt)
	if err == nil && opt.SkipBad && res.Feed.Rejected > 0 {
		res.RejectFile = RejectPath(path)
		if werr := feed.WriteRejects(res.RejectFile, res.Feed); werr != nil {
			return res, fmt.Errorf("%s: %w", path, msg.Wrap(werr, "load.rejects_not_written", werr))
		}
	}
	return res, err
}

// RejectPath is where the rejected rows of path are written:
// items.csv -> items.rejected.csv.
func RejectPath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".rejected.csv"
}

// Reader imports one feed from r; name gives its format (by extension) and
// appears in messages.
func Reader(ctx context.Context, s *catalog.Store, name string, r io.Reader, size int64, opt Options) (Result, error) {
	start := time.Now()
	res := Result{File: name}
	logEntry := func(status, msg string) catalog.ImportLog {
		return catalog.ImportLog{Kind: "items", FileName: filepath.Base(name), Format: res.Feed.Format,
			StartedAt: start, FinishedAt: time.Now(), RowsRead: res.Feed.Rows, RowsRejected: res.Feed.Rejected,
			ItemsNew: res.Stats.ItemsNew, ItemsUpdated: res.Stats.ItemsUpdated, Observations: res.Stats.Records,
			Status: status, Error: msg}
	}
	w, err := s.Begin(ctx)
	if err != nil {
		return res, err
	}
	defer w.Rollback() // no-op after Commit
	batch := make([]catalog.Record, 0, batchSize)
	fres, err := feed.ScanReader(name, r, size, opt.Feed, func(row feed.Row) error {
		batch = append(batch, row.Record)
		res.Good++
		if len(batch) == batchSize {
			if err := w.Add(batch); err != nil {
				return err
			}
			batch = batch[:0]
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}, opt.Progress)
	res.Feed = fres
	if err == nil {
		err = w.Add(batch)
	}
	if err != nil {
		w.Rollback()
		s.LogImport(context.WithoutCancel(ctx), logEntry("failed", err.Error()))
		return res, err
	}
	if fres.Rejected > 0 && !opt.SkipBad {
		w.Rollback()
		res.Elapsed = time.Since(start)
		s.LogImport(context.WithoutCancel(ctx), logEntry("rejected", ErrBadRows.Error()))
		return res, ErrBadRows
	}
	res.Stats = w.Stats()
	status := "imported"
	if fres.Rejected > 0 {
		status = "partial"
	}
	if err := w.LogImport(logEntry(status, "")); err != nil {
		return res, err
	}
	if res.Stats, err = w.Commit(); err != nil {
		return res, err
	}
	res.Imported = true
	res.Elapsed = time.Since(start)
	return res, nil
}

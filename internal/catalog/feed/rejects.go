package feed

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// WriteRejects writes the rejected rows to path as UTF-8 CSV with a BOM (so
// Excel opens it correctly): columns 行号/line, 原因/reason, then the
// original header cells (for JSON: one column with the raw object).
// Adjacent problems with the same file and line (as when results are
// concatenated by hand) are written as one row, reasons joined by "; ". The
// file is written to a temporary name and renamed, so it is never seen
// half-written.
func WriteRejects(path string, res Result) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("%s: %w", path, msg.Wrap(err, "file.cannot_create", err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	bw.WriteString("\ufeff")
	w := csv.NewWriter(bw)
	w.UseCRLF = true // what Excel writes and expects

	header := []string{"行号/line", "原因/reason"}
	if strings.HasSuffix(res.Format, "/json") || strings.HasSuffix(res.Format, "/jsonl") {
		header = append(header, "原始数据/raw")
	} else {
		for _, h := range res.Header {
			header = append(header, defuse(h))
		}
	}
	if err := w.Write(header); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	ps := res.Problems
	for i := 0; i < len(ps); {
		// Problems of one row are adjacent.
		j := i + 1
		for j < len(ps) && ps[j].Line == ps[i].Line && ps[j].File == ps[i].File {
			j++
		}
		reasons := make([]string, 0, j-i)
		var cells []string
		for _, p := range ps[i:j] {
			reasons = append(reasons, rejectReason(p))
			if cells == nil {
				cells = p.Cells
			}
		}
		line := ""
		if ps[i].Line > 0 {
			line = strconv.Itoa(ps[i].Line)
		}
		rec := make([]string, 0, 2+len(cells))
		rec = append(rec, line, strings.Join(reasons, "; "))
		for _, c := range cells {
			rec = append(rec, defuse(c))
		}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		i = j
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("%s: %w", path, msg.Wrap(err, "file.write_failed", err))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("%s: %w", path, msg.Wrap(err, "file.write_failed", err))
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, msg.Wrap(err, "file.write_failed", err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, msg.Wrap(err, "file.write_failed", err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, msg.Wrap(err, "file.cannot_rename", err))
	}
	return nil
}

// defuse stops Excel from running a cell of an uploaded file as a formula
// when the operator opens the rejects file. Plain values such as "-5",
// "-" or "+86 138..." are left alone.
func defuse(c string) string {
	if c == "" {
		return c
	}
	switch c[0] {
	case '=', '@', '\t', '\r':
		return "'" + c
	case '+', '-':
		if strings.ContainsAny(c, "(!|=") {
			return "'" + c
		}
	}
	return c
}

// rejectReason is p's reason for the rejects file, in Chinese, then in
// English in brackets, naming its column (the row holds the value).
func rejectReason(p Problem) string {
	q := p
	q.File, q.Line, q.Value = "", 0, ""
	return q.Text(i18n.ZH) + " (" + q.Text(i18n.EN) + ")"
}

package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Temporary files the console writes (uploads being imported, rejected-row
// downloads) are named with these prefixes in the system's temporary folder
// (TMPDIR), so the ones a killed server left behind can be recognised and
// swept at the next start (SweepTemp).
const (
	tempUpload   = "qunke-upload-"
	tempRejected = "qunke-rejected-"
	tempOrders   = "qunke-orders-"
)

var tempPrefixes = []string{tempUpload, tempRejected, tempOrders}

// StaleTempAge is how old a temporary file must be before SweepTemp removes
// it: older than any upload or import still running in another server on
// this machine.
const StaleTempAge = time.Hour

// SweepTemp removes the console's temporary files older than age from the
// temporary folder (those of imports killed mid-way) and returns how many
// it removed. The serve command calls it at start.
func SweepTemp(age time.Duration) (int, error) {
	dir := os.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	cutoff := time.Now().Add(-age)
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !hasTempPrefix(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.ModTime().After(cutoff) {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}

func hasTempPrefix(name string) bool {
	for _, p := range tempPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// removeMultipart deletes the temporary files of a parsed multipart form.
// net/http removes them only for the request it passed to the handler, not
// for a copy made with WithContext on which the form was parsed: parts over
// the in-memory limit (32 MiB) would stay in TMPDIR for ever.
func removeMultipart(r *http.Request) {
	if r.MultipartForm != nil {
		r.MultipartForm.RemoveAll()
	}
}

package feed

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
)

const (
	// headerSearch is how many non-blank rows may precede the header (a
	// title line above the table, say).
	headerSearch = 10
	// progressRows is how often (in rows) progress is reported.
	progressRows = 8192
)

// sniffComma picks the separator. The header may sit below a title line,
// so the first headerSearch non-blank lines of head (UTF-8 text) are tried
// in turn, split at tabs and at commas, and the first split a dialect
// recognises wins. Failing that, tab is picked when the first line has
// more tabs than commas.
func sniffComma(head []byte) rune {
	var first []byte
	seen := 0
	for len(head) > 0 && seen < headerSearch {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		seen++
		if first == nil {
			first = line
		}
		tab, comma := splitHeader(line, '\t'), splitHeader(line, ',')
		_, tabOK, _ := detect(tab)
		_, commaOK, _ := detect(comma)
		switch {
		case tabOK && (!commaOK || len(tab) > len(comma)):
			return '\t'
		case commaOK:
			return ','
		}
	}
	if bytes.Count(first, []byte{'\t'}) > bytes.Count(first, []byte{','}) {
		return '\t'
	}
	return ','
}

// splitHeader splits a would-be header line for sniffComma.
func splitHeader(line []byte, sep byte) []string {
	cells := strings.Split(strings.TrimPrefix(string(line), "\ufeff"), string(sep))
	for i, c := range cells {
		cells[i] = strings.Trim(strings.TrimSpace(c), `"`)
	}
	return cells
}

func blankRecord(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func validRecord(rec []string) bool {
	for _, c := range rec {
		if !utf8.ValidString(c) {
			return false
		}
	}
	return true
}

func csvReason(err error) *msg.Error {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return msg.New("feed.csv_bare_quote")
	case errors.Is(err, csv.ErrQuote):
		return msg.New("feed.csv_quote")
	}
	return msg.New("sheet.malformed_csv", err)
}

// Package xlsfake builds .xls (BIFF8) workbooks for the tests of the
// spreadsheet readers and importers.
package xlsfake

import (
	"bytes"
	"encoding/binary"
	"math"
	"unicode/utf16"
)

// Record types ([MS-XLS] 2.3) the builder writes.
const (
	rtEOF        = 0x000A
	rtCodePage   = 0x0042
	rtBoundSheet = 0x0085
	rtSST        = 0x00FC
	rtLabel      = 0x0204
	rtBOF        = 0x0809
)

// Workbook is an .xls file whose one sheet, name, holds rows as text cells.
func Workbook(name string, rows [][]string) []byte {
	var cells [][]byte
	for r, row := range rows {
		for c, v := range row {
			cells = append(cells, Rec(rtLabel, U16(uint16(r), uint16(c), 15), String(v)))
		}
	}
	return CFB("Workbook", Stream(nil, []string{name}, [][]byte{bytes.Join(cells, nil)}))
}

// Rec is a record: type, length, data.
func Rec(typ uint16, data ...[]byte) []byte {
	d := bytes.Join(data, nil)
	b := binary.LittleEndian.AppendUint16(nil, typ)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(d)))
	return append(b, d...)
}

func U16(v ...uint16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, x)
	}
	return b
}

func U32(v uint32) []byte  { return binary.LittleEndian.AppendUint32(nil, v) }
func F64(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }

// Chars is an XLUnicodeString body without cch: flags + chars (UTF-16 if
// any rune is non-Latin-1, else compressed).
func Chars(s string) []byte {
	u := utf16.Encode([]rune(s))
	wide := false
	for _, c := range u {
		if c > 0xFF {
			wide = true
		}
	}
	if !wide {
		b := []byte{0}
		for _, c := range u {
			b = append(b, byte(c))
		}
		return b
	}
	return append([]byte{1}, U16(u...)...)
}

func String(s string) []byte {
	return append(U16(uint16(len(utf16.Encode([]rune(s))))), Chars(s)...)
}

func BOF(dt uint16) []byte { return Rec(rtBOF, U16(0x0600, dt, 0, 0), U32(0), U32(6)) }

// Stream builds a Workbook stream: globals (CODEPAGE, SST, one
// BOUNDSHEET8 per sheet) followed by the worksheet substreams.
func Stream(sst []string, names []string, sheets [][]byte) []byte {
	var sstBody []byte
	sstBody = append(sstBody, U32(uint32(len(sst)))...)
	sstBody = append(sstBody, U32(uint32(len(sst)))...)
	for _, s := range sst {
		sstBody = append(sstBody, String(s)...)
	}
	bsLen := 0
	for _, n := range names {
		bsLen += len(Rec(rtBoundSheet, U32(0), []byte{0, 0, byte(len([]rune(n)))}, Chars(n)))
	}
	head := bytes.Join([][]byte{BOF(0x0005), Rec(rtCodePage, U16(1200)), Rec(rtSST, sstBody)}, nil)
	pos := len(head) + bsLen + 4 // + EOF
	var bs, subs []byte
	for i, n := range names {
		bs = append(bs, Rec(rtBoundSheet, U32(uint32(pos)), []byte{0, 0, byte(len(utf16.Encode([]rune(n))))}, Chars(n))...)
		sub := bytes.Join([][]byte{BOF(0x0010), sheets[i], Rec(rtEOF)}, nil)
		subs = append(subs, sub...)
		pos += len(sub)
	}
	return bytes.Join([][]byte{head, bs, Rec(rtEOF), subs}, nil)
}

// CFB wraps a stream in a minimal compound file (CFB v3).
func CFB(name string, stream []byte) []byte {
	const sec = 512
	for len(stream) < 4096 { // keep it out of the mini stream
		stream = append(stream, 0)
	}
	n := (len(stream) + sec - 1) / sec
	if n+2 > 128 {
		panic("test stream too large")
	}
	hdr := make([]byte, sec)
	copy(hdr, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le := binary.LittleEndian
	le.PutUint16(hdr[24:], 0x3E)
	le.PutUint16(hdr[26:], 3)
	le.PutUint16(hdr[28:], 0xFFFE)
	le.PutUint16(hdr[30:], 9)
	le.PutUint16(hdr[32:], 6)
	le.PutUint32(hdr[44:], 1) // FAT sectors
	le.PutUint32(hdr[48:], 1) // directory start
	le.PutUint32(hdr[56:], 4096)
	le.PutUint32(hdr[60:], 0xFFFFFFFE)
	le.PutUint32(hdr[68:], 0xFFFFFFFE)
	for i := 76; i < sec; i += 4 {
		le.PutUint32(hdr[i:], 0xFFFFFFFF)
	}
	le.PutUint32(hdr[76:], 0) // FAT in sector 0
	fat := make([]byte, sec)
	for i := 0; i < 128; i++ {
		v := uint32(0xFFFFFFFF)
		switch {
		case i == 0:
			v = 0xFFFFFFFD
		case i == 1 || i == n+1:
			v = 0xFFFFFFFE
		case i >= 2 && i < n+1:
			v = uint32(i + 1)
		}
		le.PutUint32(fat[4*i:], v)
	}
	dir := make([]byte, sec)
	entry := func(i int, name string, typ byte, child, start uint32, size int) {
		e := dir[128*i : 128*(i+1)]
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			le.PutUint16(e[2*k:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1
		le.PutUint32(e[68:], 0xFFFFFFFF)
		le.PutUint32(e[72:], 0xFFFFFFFF)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint32(e[120:], uint32(size))
	}
	entry(0, "Root Entry", 5, 1, 0xFFFFFFFE, 0)
	entry(1, name, 2, 0xFFFFFFFF, 2, len(stream))
	for i := 2; i < 4; i++ {
		e := dir[128*i:]
		le.PutUint32(e[68:], 0xFFFFFFFF)
		le.PutUint32(e[72:], 0xFFFFFFFF)
		le.PutUint32(e[76:], 0xFFFFFFFF)
	}
	body := make([]byte, n*sec)
	copy(body, stream)
	return bytes.Join([][]byte{hdr, fat, dir, body}, nil)
}

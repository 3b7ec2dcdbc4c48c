package sheet

import (
	"archive/zip"
	"math"
	"strconv"
	"strings"
	"time"
)

// numFormat is what a cell's number format does to how its number reads.
type numFormat uint8

const (
	fmtGeneral  numFormat = iota // the number as stored
	fmtPercent                   // 0.155 -> "15.5%"
	fmtDate                      // 45322 -> "2024-01-31"
	fmtDateTime                  // 45322.5 -> "2024-01-31 12:00:00"
)

// builtinFormats are the built-in number formats that are not General:
// percents, and the dates and date-times (Western and East Asian).
var builtinFormats = map[int]numFormat{
	9: fmtPercent, 10: fmtPercent,
	14: fmtDate, 15: fmtDate, 16: fmtDate, 17: fmtDate, 22: fmtDateTime,
	27: fmtDate, 28: fmtDate, 29: fmtDate, 30: fmtDate, 31: fmtDate, 36: fmtDate,
	50: fmtDate, 51: fmtDate, 52: fmtDate, 53: fmtDate, 54: fmtDate, 57: fmtDate, 58: fmtDate,
}

// readFormats reads which number format each cell style applies (f may
// be nil: no styles).
func readFormats(f *zip.File) ([]numFormat, error) {
	if f == nil {
		return nil, nil
	}
	var st struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := decodePart(f, &st); err != nil {
		return nil, err
	}
	custom := map[int]numFormat{}
	for _, n := range st.NumFmts {
		custom[n.ID] = formatOfCode(n.Code)
	}
	out := make([]numFormat, len(st.Xfs))
	for i, x := range st.Xfs {
		if nf, ok := custom[x.NumFmtID]; ok {
			out[i] = nf
		} else {
			out[i] = builtinFormats[x.NumFmtID]
		}
	}
	return out, nil
}

// formatOfCode reads a custom format code ("0.00%", "yyyy-mm-dd hh:mm"):
// quoted text, [colour]/[locale] parts and escaped characters aside, a %
// makes a percent, y or d a date, h or s with them a date-time.
func formatOfCode(code string) numFormat {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			}
		case '[':
			if j := strings.IndexByte(code[i+1:], ']'); j >= 0 {
				i += j + 1
			}
		case '\\':
			i++
		default:
			b.WriteByte(c | 0x20) // ASCII lower case; other bytes do not matter
		}
	}
	s := b.String()
	switch {
	case strings.Contains(s, "%"):
		return fmtPercent
	case !strings.ContainsAny(s, "yd"):
		return fmtGeneral
	case strings.ContainsAny(s, "hs"):
		return fmtDateTime
	}
	return fmtDate
}

// format is the number format of cell style attr (its "s" attribute).
func (x *xlsxReader) format(attr []byte) numFormat {
	i := 0
	for _, c := range attr {
		if c < '0' || c > '9' || i > 1<<20 {
			return fmtGeneral
		}
		i = i*10 + int(c-'0')
	}
	if len(attr) == 0 || i >= len(x.formats) {
		return fmtGeneral
	}
	return x.formats[i]
}

// showNumber is the text of a stored number under format nf.
func showNumber(v []byte, nf numFormat) []byte {
	switch nf {
	case fmtPercent:
		if f, ok := excelFloat(v); ok {
			return append(shiftPoint([]byte(strconv.FormatFloat(f, 'f', -1, 64)), 2), '%')
		}
	case fmtDate, fmtDateTime:
		if f, ok := excelFloat(v); ok && f >= 0 && f < 2958466 { // up to 9999-12-31
			t := excelEpoch.Add(time.Duration(math.Round(f*86400)) * time.Second)
			if nf == fmtDate {
				return t.AppendFormat(nil, "2006-01-02")
			}
			return t.AppendFormat(nil, "2006-01-02 15:04:05")
		}
	}
	return generalNumber(v)
}

// excelEpoch is Excel's day 0 in the 1900 date system (its 1900 leap-year
// bug folded in); serial numbers count days from it, in no zone.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// excelFloat reads a stored number to the 15 significant digits Excel keeps.
func excelFloat(v []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	f, err = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	return f, err == nil
}

// shiftPoint multiplies the plain decimal d by 10^n exactly, on the digits.
func shiftPoint(d []byte, n int) []byte {
	s := string(d)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	for len(frac) < n {
		frac += "0"
	}
	intPart = strings.TrimLeft(intPart+frac[:n], "0")
	if intPart == "" {
		intPart = "0"
	}
	if frac = frac[n:]; frac != "" {
		intPart += "." + frac
	}
	if neg {
		intPart = "-" + intPart
	}
	return []byte(intPart)
}

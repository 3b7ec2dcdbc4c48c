package ledger

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
)

// Label is a kind's, reason's or source's name for people, in lang.
func Label(lang i18n.Lang, what string, code string) string {
	return msg.In(lang, msg.New("ledger."+what+"."+code))
}

// table is the statement as rows of cells, in lang and zone: a head
// (opening balances), one row per line, and the closing balances. Money is
// in yuan; what the team owes is positive.
func (st *Statement) table(lang i18n.Lang, zone *time.Location, name string) [][]string {
	t := func(key string, args ...any) string { return msg.In(lang, msg.New(key, args...)) }
	rows := [][]string{
		{t("ledger.st.title", name, st.Member), st.From.In(zone).Format("2006-01")},
		{t("ledger.st.opening_held"), cells.Yuan(st.OpeningHeld)},
		{t("ledger.st.opening_payable"), cells.Yuan(st.OpeningPayable)},
		{t("ledger.st.at"), t("ledger.st.posting"), t("ledger.st.source"), t("ledger.st.key"), t("ledger.st.reason"),
			t("ledger.st.account"), t("ledger.st.amount")},
	}
	for _, l := range st.Lines {
		rows = append(rows, []string{l.At.In(zone).Format("2006-01-02 15:04:05"), fmt.Sprint(l.PostingID), Label(lang, "source", string(l.Source)),
			l.SourceKey, Label(lang, "reason", string(l.Reason)), Label(lang, "kind", string(l.Kind)), cells.Yuan(l.Amount)})
	}
	rows = append(rows,
		[]string{t("ledger.st.closing_held"), cells.Yuan(st.ClosingHeld)},
		[]string{t("ledger.st.closing_payable"), cells.Yuan(st.ClosingPayable)})
	return rows
}

// WriteCSV writes the statement as UTF-8 CSV (with a byte-order mark, so
// that Excel reads the Chinese right).
func (st *Statement) WriteCSV(w io.Writer, lang i18n.Lang, zone *time.Location, name string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(st.table(lang, zone, name)); err != nil {
		return err
	}
	return cw.Error()
}

// WriteXLSX writes the statement as an XLSX workbook of one sheet.
func (st *Statement) WriteXLSX(w io.Writer, lang i18n.Lang, zone *time.Location, name string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for r, row := range st.table(lang, zone, name) {
		for c, v := range row {
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// WriteText writes the statement for a terminal: tab-separated rows.
func (st *Statement) WriteText(w io.Writer, lang i18n.Lang, zone *time.Location, name string) error {
	for _, row := range st.table(lang, zone, name) {
		if _, err := fmt.Fprintln(w, strings.Join(row, "\t")); err != nil {
			return err
		}
	}
	return nil
}

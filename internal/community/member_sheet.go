package community

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/cells"
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/shanghai"
	"github.com/qunke/qunke/internal/sheet"
)

// A member list kept by hand for a personal-WeChat group (issue 14 item 4):
// one group per file, one row per member; the file is the group's member
// list as it is now, and its difference with what the registry holds
// becomes join and leave events (Snapshot).

// memberColumns maps the header names a list may use to the field they fill.
var memberColumns = map[string]string{
	"群名": "group", "群名称": "group", "群": "group", "group": "group", "group_name": "group",
	"昵称": "name", "群昵称": "name", "微信昵称": "name", "名字": "name", "nickname": "name", "name": "name",
	"微信号": "wxid", "wechat_id": "wxid", "wechat": "wxid", "wxid": "wxid",
	"编号": "number", "成员编号": "number", "id": "number", "member_id": "number",
	"入群时间": "joined", "加入时间": "joined", "joined": "joined", "joined_at": "joined", "join_time": "joined",
	"备注": "note", "note": "note", "remark": "note",
}

// memberColumn is the field a header names: case, spaces and hyphens do
// not matter (WeChat ID, wechat-id and wechat_id are one column).
func memberColumn(h string) (string, bool) {
	key := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	key = strings.Join(strings.FieldsFunc(key, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
	f, ok := memberColumns[key]
	return f, ok
}

// MaxMemberRows bounds the rows of one member list (a WeChat group holds
// 500 members; a list is one group).
const MaxMemberRows = 1_000_000

// Field lengths a list may give, in characters.
const (
	maxNameChars = 100
	maxIDChars   = 64
	maxNoteChars = 500
)

// SheetImportError lists every bad row of a member list; nothing was imported.
type SheetImportError struct{ Rows []*RowError }

// Text is the error in lang, with the first 20 rows.
func (e *SheetImportError) Text(lang i18n.Lang) string {
	return rowsText(lang, "members.import_bad_rows", e.Rows)
}

// Error, for logs, is the error in Chinese, then in English.
func (e *SheetImportError) Error() string { return e.Text(i18n.ZH) + " (" + e.Text(i18n.EN) + ")" }

// SheetResult is what a member list import did.
type SheetResult struct {
	GroupID   int64
	GroupName string
	Rows      int
	SnapshotResult
}

// ImportMembers imports the member list in r (a CSV, XLSX or XLS file named
// name) as the members of one group at time at: the group named by the
// 群名 column (every row the same group) or, when given, by group (a row
// naming another group is an error). Every row is checked first; a bad
// row and nothing is imported (*SheetImportError names each row and column).
func (s *Store) ImportMembers(ctx context.Context, name string, r io.Reader, group string, at time.Time) (SheetResult, error) {
	sr, err := sheet.OpenReader(name, r, sheet.Options{LazyQuotes: true})
	if err != nil {
		return SheetResult{}, err
	}
	defer sr.Close()
	return s.importMembers(ctx, sr, strings.TrimSpace(group), at)
}

// ImportMembersFile is ImportMembers for the file at path.
func (s *Store) ImportMembersFile(ctx context.Context, path, group string, at time.Time) (SheetResult, error) {
	sr, err := sheet.Open(path, sheet.Options{LazyQuotes: true})
	if err != nil {
		return SheetResult{}, err
	}
	defer sr.Close()
	return s.importMembers(ctx, sr, strings.TrimSpace(group), at)
}

func (s *Store) importMembers(ctx context.Context, sr *sheet.Reader, group string, at time.Time) (SheetResult, error) {
	var res SheetResult
	head, err := sr.Next()
	if err == io.EOF {
		return res, msg.New("members.sheet_empty")
	}
	if err != nil {
		return res, err
	}
	cols := map[string]int{}
	names := map[string]string{}
	for i, h := range head.Cells {
		if f, ok := memberColumn(h); ok {
			if _, dup := cols[f]; !dup {
				cols[f], names[f] = i, strings.TrimSpace(h)
			}
		}
	}
	_, hasName := cols["name"]
	_, hasWx := cols["wxid"]
	_, hasNum := cols["number"]
	if !hasName && !hasWx && !hasNum {
		return res, msg.New("members.sheet_missing_column")
	}
	if _, ok := cols["group"]; !ok && group == "" {
		return res, msg.New("members.sheet_no_group")
	}
	excel := sr.Kind() != sheet.CSV
	cell := func(row []string, f string) string {
		if i, ok := cols[f]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var rows []SnapshotRow
	var nums []int // the sheet row of each of rows
	var bad []*RowError
	badRow := func(n int, field string, m *msg.Error) {
		if len(bad) < 1000 {
			bad = append(bad, &RowError{Row: n, Column: names[field], Msg: m})
		}
	}
	firstID := map[string]int{}
	firstName := map[string]int{}
	groupRow := 0
	for {
		row, err := sr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				n := row.Num
				if n == 0 {
					n = pe.StartLine
				}
				badRow(n, "", msg.New("members.sheet_bad_record", pe.Err))
				continue
			}
			return res, err
		}
		if allEmpty(row.Cells) {
			continue
		}
		n := row.Num
		if len(rows) >= MaxMemberRows {
			return res, msg.New("members.sheet_too_many", MaxMemberRows)
		}
		if g := cell(row.Cells, "group"); g != "" {
			switch {
			case group == "":
				group, groupRow = g, n
			case g != group && groupRow == 0:
				badRow(n, "group", msg.New("members.sheet_other_group", g, group))
				continue
			case g != group:
				badRow(n, "group", msg.New("members.sheet_two_groups", g, groupRow, group))
				continue
			}
		}
		r := SnapshotRow{Name: cell(row.Cells, "name"), Note: cell(row.Cells, "note")}
		idField := "wxid"
		if r.ExternalID = cell(row.Cells, "wxid"); r.ExternalID == "" {
			r.ExternalID, idField = cell(row.Cells, "number"), "number"
		}
		switch {
		case r.ExternalID == "" && r.Name == "":
			badRow(n, "name", msg.New("members.sheet_no_who"))
			continue
		case utf8.RuneCountInString(r.Name) > maxNameChars:
			badRow(n, "name", msg.New("members.sheet_too_long", maxNameChars))
			continue
		case utf8.RuneCountInString(r.ExternalID) > maxIDChars:
			badRow(n, idField, msg.New("members.sheet_too_long", maxIDChars))
			continue
		case utf8.RuneCountInString(r.Note) > maxNoteChars:
			badRow(n, "note", msg.New("members.sheet_too_long", maxNoteChars))
			continue
		}
		if v := cell(row.Cells, "joined"); v != "" {
			ts, ok := parseJoined(v, excel)
			if !ok {
				badRow(n, "joined", msg.New("members.sheet_bad_time", v))
				continue
			}
			r.JoinedAt = time.Unix(ts, 0).UTC()
		}
		if r.ExternalID != "" {
			if prev, dup := firstID[r.ExternalID]; dup {
				badRow(n, idField, msg.New("members.sheet_duplicate_id", r.ExternalID, prev))
				continue
			}
			firstID[r.ExternalID] = n
		} else {
			if prev, dup := firstName[r.Name]; dup {
				badRow(n, "name", msg.New("members.sheet_duplicate_name", r.Name, prev))
				continue
			}
			firstName[r.Name] = n
		}
		rows = append(rows, r)
		nums = append(nums, n)
	}
	if len(bad) > 0 {
		return res, &SheetImportError{bad}
	}
	if group == "" {
		return res, msg.New("members.sheet_no_group")
	}
	var id int64
	err = s.db.QueryRowContext(ctx, `SELECT id FROM chat_groups WHERE name = $1`, group).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if groupRow > 0 {
			return res, &SheetImportError{[]*RowError{{Row: groupRow, Column: names["group"], Msg: msg.New("members.sheet_unknown_group", group)}}}
		}
		return res, msg.New("members.sheet_unknown_group", group)
	}
	if err != nil {
		return res, err
	}
	snap, err := s.Snapshot(ctx, id, SourceSheet, rows, at)
	var me *msg.Error
	if errors.As(err, &me) && errors.Is(err, ErrAmbiguousName) && len(me.Args) == 2 {
		if i, ok := me.Args[0].(int); ok && i >= 1 && i <= len(nums) {
			return res, &SheetImportError{[]*RowError{{Row: nums[i-1], Column: names["name"],
				Msg: msg.New("members.sheet_ambiguous_name", me.Args[1])}}}
		}
	}
	if err != nil {
		return res, err
	}
	return SheetResult{GroupID: id, GroupName: group, Rows: len(rows), SnapshotResult: snap}, nil
}

// joinedLayouts are the naive times a list may give, in Asia/Shanghai.
var joinedLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006/1/2",
	"2006.1.2", "2006年1月2日 15:04", "2006年1月2日",
}

// parseJoined reads a join time: a naive time in Asia/Shanghai, RFC 3339,
// unix seconds, or (from a spreadsheet) an Excel serial date.
func parseJoined(s string, excel bool) (int64, bool) {
	if len(s) > 40 {
		return 0, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Unix(), t.Year() >= 2000 && t.Year() < 2200
	}
	for _, l := range joinedLayouts {
		if t, err := time.ParseInLocation(l, s, shanghai.Zone); err == nil {
			return t.Unix(), t.Year() >= 2000 && t.Year() < 2200
		}
	}
	if cells.AllDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil && n >= 946684800 && n < 7258118400 {
			return n, true
		}
	}
	if excel {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 36526 && f < 109575 { // 2000..2200
			epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, shanghai.Zone).Unix()
			return epoch + int64(math.Round(f*86400)), true
		}
	}
	return 0, false
}

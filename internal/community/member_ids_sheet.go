package community

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/sheet"
	"github.com/qunke/qunke/internal/store"
)

// MaxBindRows bounds the rows of one bindings file.
const MaxBindRows = 1_000_000

// A bindings sheet names the member by its Qunke id (成员ID) or by its
// platform id (外部ID, with 来源 when the members come from several
// sources), and the person-level ids either one to a row (平台, 类型, 值) or
// one column per kind (会员运营ID, 渠道关系ID, subUnionId,
// custom_parameters).
var bindColumns = map[string]string{
	"成员id": "member_id", "成员编号": "member_id", "member_id": "member_id", "member": "member_id",
	"外部id": "external_id", "external_id": "external_id", "userid": "external_id", "用户id": "external_id",
	"来源": "source", "source": "source",
	"平台": "platform", "platform": "platform",
	"类型": "kind", "kind": "kind", "id类型": "kind",
	"值": "value", "value": "value",
	"会员运营id": "w:" + PersonTaobao + "/" + KindSpecialID, "special_id": "w:" + PersonTaobao + "/" + KindSpecialID,
	"渠道关系id": "w:" + PersonTaobao + "/" + KindRelationID, "relation_id": "w:" + PersonTaobao + "/" + KindRelationID,
	"subunionid": "w:" + PersonJD + "/" + KindSubUnionID, "sub_union_id": "w:" + PersonJD + "/" + KindSubUnionID,
	"京东subunionid":         "w:" + PersonJD + "/" + KindSubUnionID,
	"custom_parameters":    "w:" + PersonPDD + "/" + KindCustomParameters,
	"拼多多custom_parameters": "w:" + PersonPDD + "/" + KindCustomParameters,
	"拼多多自定义参数":             "w:" + PersonPDD + "/" + KindCustomParameters,
}

// BindImportError lists every bad row of a bindings file; nothing was bound.
type BindImportError struct{ Rows []*RowError }

// Text is the error in lang, a line per bad row (the first 20).
func (e *BindImportError) Text(lang i18n.Lang) string {
	return rowsText(lang, "members.bind_bad_rows", e.Rows)
}

// Error, for logs, is the error in Chinese, then in English.
func (e *BindImportError) Error() string { return e.Text(i18n.ZH) + " (" + e.Text(i18n.EN) + ")" }

// BindStats says what ImportBindings did.
type BindStats struct {
	Bound     int // new bindings
	Unchanged int // already bound to the same member
}

type bindRow struct {
	row, member int64
	col         string // the column the value came from, for errors
	b           Binding
	source      Source
	external    string
}

// ImportBindings binds the person-level ids of a sheet (CSV, XLSX or XLS;
// name gives the format) to their members, all or nothing: every row is
// checked first, and a bad row (unknown member, bad id, a value given to
// two members, a value bound to another member) fails the whole file with
// a *BindImportError naming each row and column.
func (s *Store) ImportBindings(ctx context.Context, name string, r io.Reader) (BindStats, error) {
	sr, err := sheet.OpenReader(name, r, sheet.Options{LazyQuotes: true, TrimSpace: true})
	if err != nil {
		return BindStats{}, err
	}
	defer sr.Close()
	head, err := sr.Next()
	if errors.Is(err, io.EOF) {
		return BindStats{}, msg.New("members.bind_file_empty")
	}
	if err != nil {
		return BindStats{}, err
	}
	cols := map[string]int{}
	names := map[string]string{}
	var wide []string
	for i, h := range head.Cells {
		key := strings.ToLower(strings.Join(strings.Fields(h), ""))
		f, ok := bindColumns[key]
		if _, dup := cols[f]; !ok || dup {
			continue
		}
		cols[f], names[f] = i, strings.TrimSpace(h)
		if strings.HasPrefix(f, "w:") {
			wide = append(wide, f)
		}
	}
	_, byID := cols["member_id"]
	_, byExt := cols["external_id"]
	_, long := cols["value"]
	switch {
	case !byID && !byExt:
		return BindStats{}, msg.New("members.bind_no_member_column")
	case !long && len(wide) == 0:
		return BindStats{}, msg.New("members.bind_no_value_column")
	case long && names["platform"] == "":
		return BindStats{}, msg.New("members.bind_no_platform_column")
	}
	cell := func(cells []string, f string) string {
		if i, ok := cols[f]; ok && i < len(cells) {
			return strings.TrimSpace(cells[i])
		}
		return ""
	}
	var rows []bindRow
	var bad []*RowError
	seen := map[string]bindRow{}
	for {
		row, err := sr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return BindStats{}, err
		}
		if allEmpty(row.Cells) {
			continue
		}
		if len(rows) >= MaxBindRows {
			return BindStats{}, msg.New("members.bind_too_many_rows", MaxBindRows)
		}
		n := int64(row.Num)
		br := bindRow{row: n}
		var rerr *RowError
		if v := cell(row.Cells, "member_id"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				rerr = &RowError{int(n), names["member_id"], msg.New("members.bind_bad_member_id", v)}
			}
			br.member = id
		} else if br.external = cell(row.Cells, "external_id"); br.external != "" {
			br.source = Source(strings.ToLower(cell(row.Cells, "source")))
			if br.source != "" && !br.source.Valid() {
				rerr = &RowError{int(n), names["source"], msg.New("members.bind_bad_source", cell(row.Cells, "source"))}
			}
		} else {
			col := names["member_id"]
			if col == "" {
				col = names["external_id"]
			}
			rerr = &RowError{int(n), col, msg.New("members.bind_row_no_member")}
		}
		var found []bindRow
		if rerr == nil && long {
			br.col = names["value"]
			b, err := NormalizeBinding(cell(row.Cells, "platform"), cell(row.Cells, "kind"), cell(row.Cells, "value"))
			if err != nil {
				rerr = rowErr(int(n), names["value"], err)
			}
			br.b = b
			found = append(found, br)
		}
		for _, f := range wide {
			v := cell(row.Cells, f)
			if rerr != nil || v == "" {
				continue
			}
			p, k, _ := strings.Cut(strings.TrimPrefix(f, "w:"), "/")
			b, err := NormalizeBinding(p, k, v)
			if err != nil {
				rerr = rowErr(int(n), names[f], err)
				continue
			}
			w := br
			w.col, w.b = names[f], b
			found = append(found, w)
		}
		if rerr == nil && len(found) == 0 {
			rerr = &RowError{int(n), "", msg.New("members.bind_row_no_value")}
		}
		for _, f := range found {
			key := PersonKey(f.b.Platform, f.b.Kind, f.b.Value)
			if prev, dup := seen[key]; rerr == nil && dup && (prev.member != f.member || prev.external != f.external) {
				rerr = &RowError{int(n), f.col, msg.New("members.bind_twice", KindLabel(f.b.Kind), f.b.Value, prev.row)}
			}
		}
		if rerr != nil {
			bad = append(bad, rerr)
			continue
		}
		for _, f := range found {
			seen[PersonKey(f.b.Platform, f.b.Kind, f.b.Value)] = f
		}
		rows = append(rows, found...)
	}
	if len(bad) > 0 {
		return BindStats{}, &BindImportError{bad}
	}
	var st BindStats
	err = s.db.Atomic(ctx, func(tx *store.Tx) error {
		st = BindStats{}
		var bad []*RowError
		for _, r := range rows {
			id := r.member
			if id == 0 {
				var err error
				if id, err = memberByExternal(ctx, tx, r.source, r.external); err != nil {
					var me *msg.Error
					if errors.As(err, &me) {
						bad = append(bad, &RowError{int(r.row), names["external_id"], me})
						continue
					}
					return err
				}
			}
			added, err := s.BindTx(ctx, tx, id, r.b.Platform, r.b.Kind, r.b.Value)
			var me *msg.Error
			switch {
			case errors.As(err, &me):
				bad = append(bad, &RowError{int(r.row), r.col, me})
			case err != nil:
				return err
			case added:
				st.Bound++
			default:
				st.Unchanged++
			}
		}
		if len(bad) > 0 {
			return &BindImportError{bad}
		}
		return nil
	})
	if err != nil {
		return BindStats{}, err
	}
	return st, nil
}

// rowErr places a binding error at a row and column.
func rowErr(row int, col string, err error) *RowError {
	var me *msg.Error
	if !errors.As(err, &me) {
		me = msg.Wrap(err, "members.bind_error", err)
	}
	return &RowError{row, col, me}
}

// memberByExternal finds a member by its platform id: on source when given,
// else on any source where the id is unique.
func memberByExternal(ctx context.Context, tx *store.Tx, source Source, external string) (int64, error) {
	q, args := `SELECT id FROM members WHERE external_id = $1 ORDER BY id LIMIT 2`, []any{external}
	if source != "" {
		// external_id <> '' lets both engines use the partial index
		// members_external (a scan of every member otherwise: minutes for
		// a batch of bindings at a million members).
		q, args = `SELECT id FROM members WHERE source = $2 AND external_id = $1 AND external_id <> ''`, append(args, string(source))
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("member %s: %w", external, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	switch len(ids) {
	case 0:
		return 0, msg.New("members.bind_unknown_external", external)
	case 1:
		return ids[0], nil
	}
	return 0, msg.New("members.bind_ambiguous_external", external)
}

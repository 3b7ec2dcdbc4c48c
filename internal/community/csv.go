package community

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/sheet"
)

// csvColumns maps the header names a team's spreadsheet may use (Chinese or
// English) to the group field they fill.
var csvColumns = map[string]string{
	"群名": "name", "群名称": "name", "名称": "name", "name": "name",
	"渠道": "channel", "channel": "channel",
	"目标": "target", "chat id": "target", "chat_id": "target", "机器人key": "target", "webhook": "target", "target": "target",
	"密钥": "secret", "签名密钥": "secret", "secret": "secret",
	"淘宝pid": "pid_taobao", "pid": "pid_taobao", "推广位": "pid_taobao", "pid_taobao": "pid_taobao",
	"京东pid": "pid_jd", "pid_jd": "pid_jd",
	"拼多多pid": "pid_pdd", "pid_pdd": "pid_pdd",
	"负责人": "owner", "运营": "owner", "owner": "owner",
	"容量": "capacity", "群上限": "capacity", "capacity": "capacity",
	"人数": "members", "群人数": "members", "members": "members",
	"标签": "tags", "tags": "tags",
	"时区": "tz", "tz": "tz", "timezone": "tz",
	"状态": "active", "active": "active", "status": "active",
	"允许未转链": "allow_unconverted", "allow_unconverted": "allow_unconverted",
}

// RowError is a problem with one row of a groups CSV.
type RowError struct {
	Row    int    // 1-based, the header is row 1
	Column string // the header as written
	Msg    string
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("第 %d 行 (row %d): %s", e.Row, e.Row, e.Msg)
	}
	return fmt.Sprintf("第 %d 行「%s」列 (row %d, column %s): %s", e.Row, e.Column, e.Row, e.Column, e.Msg)
}

// ImportError lists every bad row of a file; nothing was imported.
type ImportError struct{ Rows []*RowError }

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d 行有错误，未导入任何群 (%d bad rows, nothing imported)", len(e.Rows), len(e.Rows))
	for i, r := range e.Rows {
		if i == 20 {
			fmt.Fprintf(&b, "\n…")
			break
		}
		b.WriteString("\n" + r.Error())
	}
	return b.String()
}

// ImportStats says what ImportCSV did.
type ImportStats struct{ Added, Updated int }

// ImportCSV adds or updates (by name) the groups of a CSV file (UTF-8 or
// GBK, as Excel saves it). The first row names the columns; 群名 and 渠道
// are required. All rows are checked first: any bad row and nothing is
// written (the error is an *ImportError naming each row and column).
// Update keeps a stored webhook secret when the row leaves it empty.
func (s *Store) ImportCSV(ctx context.Context, data []byte) (ImportStats, error) {
	sr, err := sheet.OpenReader("groups.csv", bytes.NewReader(data), sheet.Options{LazyQuotes: true})
	if err != nil {
		return ImportStats{}, err
	}
	defer sr.Close()
	rows, err := sr.All()
	if err != nil {
		return ImportStats{}, err
	}
	if len(rows) == 0 {
		return ImportStats{}, errors.New("文件是空的 (the file is empty)")
	}
	cols := map[string]int{}
	names := map[string]string{}
	for i, h := range rows[0] {
		key := strings.ToLower(strings.TrimSpace(h))
		if f, ok := csvColumns[key]; ok {
			if _, dup := cols[f]; !dup {
				cols[f] = i
				names[f] = strings.TrimSpace(h)
			}
		}
	}
	for _, need := range []string{"name", "channel"} {
		if _, ok := cols[need]; !ok {
			return ImportStats{}, fmt.Errorf("缺少列「%s」(missing column %s); 可用列 (columns): 群名, 渠道, 目标, 密钥, 淘宝PID, 京东PID, 拼多多PID, 负责人, 容量, 人数, 标签, 时区, 状态",
				map[string]string{"name": "群名", "channel": "渠道"}[need], need)
		}
	}
	cell := func(row []string, f string) string {
		if i, ok := cols[f]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var groups []*Group
	var bad []*RowError
	seen := map[string]int{}
	for i, row := range rows[1:] {
		n := i + 2
		if allEmpty(row) {
			continue
		}
		g := &Group{Name: cell(row, "name"), Channel: Channel(cell(row, "channel")), Target: cell(row, "target"),
			Secret: cell(row, "secret"), PIDTaobao: cell(row, "pid_taobao"), PIDJD: cell(row, "pid_jd"),
			PIDPDD: cell(row, "pid_pdd"), Owner: cell(row, "owner"), Tags: SplitTags(cell(row, "tags")),
			TZ: cell(row, "tz"), Active: true}
		g.Channel = Channel(channelAlias(string(g.Channel)))
		var rerr *RowError
		for _, f := range []struct {
			field string
			dst   *int64
		}{{"capacity", &g.Capacity}, {"members", &g.Members}} {
			if v := cell(row, f.field); v != "" && rerr == nil {
				x, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
				if err != nil {
					rerr = &RowError{n, names[f.field], fmt.Sprintf("%q 不是整数 (not a whole number)", v)}
				}
				*f.dst = x
			}
		}
		if v := cell(row, "active"); v != "" && rerr == nil {
			switch strings.ToLower(v) {
			case "1", "true", "yes", "是", "启用", "active", "正常":
			case "0", "false", "no", "否", "暂停", "停用", "paused":
				g.Active = false
			default:
				rerr = &RowError{n, names["active"], fmt.Sprintf("%q 应为 启用/暂停 (expected active or paused)", v)}
			}
		}
		if v := cell(row, "allow_unconverted"); v != "" && rerr == nil {
			switch strings.ToLower(v) {
			case "1", "true", "yes", "是", "允许":
				g.AllowUnconverted = true
			case "0", "false", "no", "否", "不允许":
			default:
				rerr = &RowError{n, names["allow_unconverted"], fmt.Sprintf("%q 应为 是/否 (expected yes or no)", v)}
			}
		}
		if rerr == nil {
			if err := g.Normalize(); err != nil {
				var fe *FieldError
				if errors.As(err, &fe) && !(fe == errSecret && g.Secret == "") {
					rerr = &RowError{n, names[fe.Field], fe.Msg}
					if rerr.Column == "" {
						rerr.Column = fe.Field
					}
				}
			}
		}
		if rerr == nil {
			if prev, dup := seen[g.Name]; dup {
				rerr = &RowError{n, names["name"], fmt.Sprintf("群名 %q 与第 %d 行重复 (same name as row %d)", g.Name, prev, prev)}
			}
		}
		if rerr != nil {
			bad = append(bad, rerr)
			continue
		}
		seen[g.Name] = n
		groups = append(groups, g)
	}
	if len(bad) > 0 {
		return ImportStats{}, &ImportError{bad}
	}
	var st ImportStats
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		st = ImportStats{}
		for _, g := range groups {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM chat_groups WHERE name = $1`, g.Name).Scan(&id)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if g.Channel == Webhook && len(g.Secret) < 16 {
					return &ImportError{[]*RowError{{seen[g.Name], names["secret"], errSecret.Msg}}}
				}
				st.Added++
			case err != nil:
				return err
			default:
				g.ID = id
				st.Updated++
			}
			if err := s.saveTx(ctx, tx, g); err != nil {
				if err == errSecret {
					return &ImportError{[]*RowError{{seen[g.Name], names["secret"], errSecret.Msg}}}
				}
				return fmt.Errorf("第 %d 行 (row %d): %w", seen[g.Name], seen[g.Name], err)
			}
		}
		return nil
	})
	if err != nil {
		return ImportStats{}, err
	}
	return st, nil
}

func channelAlias(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "企业微信", "企微", "企业微信机器人", "wechat work", "wxwork":
		return string(WeCom)
	case "手动", "手动发送", "个人微信", "微信":
		return string(Manual)
	case "tg", "电报":
		return string(Telegram)
	}
	return s
}

func allEmpty(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

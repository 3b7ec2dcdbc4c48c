package community

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
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
	"企业微信群id": "wecom_chat_id", "企微群id": "wecom_chat_id", "wecom_chat_id": "wecom_chat_id",
}

// RowError is a problem with one row of a groups CSV.
type RowError struct {
	Row    int    // 1-based, the header is row 1
	Column string // the header as written
	Msg    *msg.Error
}

// Text is the problem in lang, naming its row and column.
func (e *RowError) Text(lang i18n.Lang) string {
	if e.Column == "" {
		return t(lang, "groups.at_row", e.Row, e.Msg)
	}
	return t(lang, "groups.at_row_column", e.Row, e.Column, e.Msg)
}

// Why is the problem's message in lang.
func (e *RowError) Why(lang i18n.Lang) string { return msg.In(lang, e.Msg) }

// Error, for logs, is the problem in Chinese, then in English in brackets.
func (e *RowError) Error() string { return e.Text(i18n.ZH) + " (" + e.Text(i18n.EN) + ")" }

// ImportError lists every bad row of a file; nothing was imported.
type ImportError struct{ Rows []*RowError }

// Text is the error in lang, with the first 20 rows.
func (e *ImportError) Text(lang i18n.Lang) string {
	return rowsText(lang, "groups.import_bad_rows", e.Rows)
}

// rowsText is the heading key (given the count of rows) in lang, then a
// line per bad row, the first 20.
func rowsText(lang i18n.Lang, key string, rows []*RowError) string {
	var b strings.Builder
	b.WriteString(t(lang, key, len(rows)))
	for i, r := range rows {
		if i == 20 {
			b.WriteString("\n…")
			break
		}
		b.WriteString("\n" + r.Text(lang))
	}
	return b.String()
}

// Error, for logs, is the error in Chinese, then in English.
func (e *ImportError) Error() string { return e.Text(i18n.ZH) + " (" + e.Text(i18n.EN) + ")" }

// t renders a message key in lang.
func t(lang i18n.Lang, key string, args ...any) string { return msg.In(lang, msg.New(key, args...)) }

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
		return ImportStats{}, msg.New("groups.csv_empty")
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
			return ImportStats{}, msg.New("groups.csv_missing_column", map[string]string{"name": "群名", "channel": "渠道"}[need])
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
			TZ: cell(row, "tz"), WeComChatID: cell(row, "wecom_chat_id"), Active: true}
		g.Channel = Channel(channelAlias(string(g.Channel)))
		var rerr *RowError
		for _, f := range []struct {
			field string
			dst   *int64
		}{{"capacity", &g.Capacity}, {"members", &g.Members}} {
			if v := cell(row, f.field); v != "" && rerr == nil {
				x, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
				if err != nil {
					rerr = &RowError{n, names[f.field], msg.New("groups.csv_not_whole", v)}
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
				rerr = &RowError{n, names["active"], msg.New("groups.csv_bad_status", v)}
			}
		}
		if v := cell(row, "allow_unconverted"); v != "" && rerr == nil {
			switch strings.ToLower(v) {
			case "1", "true", "yes", "是", "允许":
				g.AllowUnconverted = true
			case "0", "false", "no", "否", "不允许":
			default:
				rerr = &RowError{n, names["allow_unconverted"], msg.New("groups.csv_bad_yes_no", v)}
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
				rerr = &RowError{n, names["name"], msg.New("groups.csv_duplicate", g.Name, prev)}
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
				return msg.Wrap(err, "groups.at_row", seen[g.Name], err)
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

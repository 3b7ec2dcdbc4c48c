package community

// Person-level ids (issue 14 item 5). The affiliate platforms tag each
// order with an id of the person whose link it came through, when the link
// was converted with one: Alimama's 会员运营ID (special_id) and 渠道关系ID
// (relation_id), JD's subUnionId, Pinduoduo's custom_parameters. Binding
// such a value to a member lets attribution credit the member with the
// order (internal/orders) and `qunke link --member` convert with the
// member's ids. A value binds exactly one member; a member may have
// several values, of one kind or several.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
)

// The platforms and kinds of person-level ids.
const (
	PersonTaobao = "taobao" // Alimama (Taobao and Tmall)
	PersonJD     = "jd"
	PersonPDD    = "pdd"

	KindSpecialID        = "special_id"        // Alimama 会员运营ID
	KindRelationID       = "relation_id"       // Alimama 渠道关系ID
	KindSubUnionID       = "sub_union_id"      // JD subUnionId
	KindCustomParameters = "custom_parameters" // Pinduoduo custom_parameters
)

// PersonKinds lists, per platform, the kinds of ids a member may be bound
// to, in the order attribution tries them.
var PersonKinds = map[string][]string{
	PersonTaobao: {KindSpecialID, KindRelationID},
	PersonJD:     {KindSubUnionID},
	PersonPDD:    {KindCustomParameters},
}

// Limits of the values, as the platforms document them.
const (
	maxTaobaoID   = 20 // special_id and relation_id are numbers
	maxSubUnionID = 80 // JD: letters, digits, '_' and '-', at most 80
	maxCustomPar  = 64 // PDD: custom_parameters, at most 64 bytes
)

// Binding is one person-level id bound to a member.
type Binding struct {
	MemberID int64
	Platform string // PersonTaobao, PersonJD, PersonPDD
	Kind     string // KindSpecialID, ...
	Value    string
	Created  time.Time // UTC
}

// PersonKey is the key of a person-level id in ByPersonID's map.
func PersonKey(platform, kind, value string) string { return platform + "/" + kind + "/" + value }

// Errors of binding.
var (
	ErrBindTaken    = msg.New("members.bind_taken")     // args: kind label, value, member id
	ErrBindNotBound = msg.New("members.bind_not_bound") // args: kind label, value
	ErrNoMember     = msg.New("members.bind_no_member") // args: member id
)

// KindLabel is the label of a kind of person-level id (a message).
func KindLabel(kind string) *msg.Error {
	switch kind {
	case KindSpecialID:
		return msg.New("members.bind_kind_special_id")
	case KindRelationID:
		return msg.New("members.bind_kind_relation_id")
	case KindSubUnionID:
		return msg.New("members.bind_kind_sub_union_id")
	case KindCustomParameters:
		return msg.New("members.bind_kind_custom_parameters")
	}
	return msg.New("members.bind_kind_unknown", kind)
}

// PlatformLabel is the label of a platform of person-level ids (a message).
func PlatformLabel(platform string) *msg.Error {
	switch platform {
	case PersonTaobao:
		return msg.New("members.bind_platform_taobao")
	case PersonJD:
		return msg.New("members.bind_platform_jd")
	case PersonPDD:
		return msg.New("members.bind_platform_pdd")
	}
	return msg.New("members.bind_kind_unknown", platform)
}

// PlatformOfKind is the platform whose id kind is ("" for none): the
// console's form asks for the kind only.
func PlatformOfKind(kind string) string {
	for p, kinds := range PersonKinds {
		for _, k := range kinds {
			if k == kind {
				return p
			}
		}
	}
	return ""
}

// platformAliases maps what people write for a platform to its name.
var platformAliases = map[string]string{
	"taobao": PersonTaobao, "tmall": PersonTaobao, "alimama": PersonTaobao, "淘宝": PersonTaobao, "天猫": PersonTaobao,
	"阿里妈妈": PersonTaobao, "淘宝联盟": PersonTaobao,
	"jd": PersonJD, "京东": PersonJD, "京东联盟": PersonJD,
	"pdd": PersonPDD, "pinduoduo": PersonPDD, "拼多多": PersonPDD, "多多进宝": PersonPDD,
}

// kindAliases maps what people write for a kind (lower case, without
// spaces) to its name.
var kindAliases = map[string]string{
	"special_id": KindSpecialID, "specialid": KindSpecialID, "会员运营id": KindSpecialID, "会员id": KindSpecialID,
	"relation_id": KindRelationID, "relationid": KindRelationID, "渠道关系id": KindRelationID, "渠道id": KindRelationID,
	"sub_union_id": KindSubUnionID, "subunionid": KindSubUnionID, "子渠道id": KindSubUnionID,
	"custom_parameters": KindCustomParameters, "customparameters": KindCustomParameters, "自定义参数": KindCustomParameters,
}

// NormalizeBinding checks a person-level id and returns it in its stored
// form: the platform and kind by name (淘宝, 会员运营ID, subUnionId ... are
// understood), the value trimmed. The kind may be empty where the platform
// has one kind only (jd, pdd).
func NormalizeBinding(platform, kind, value string) (Binding, error) {
	p, ok := platformAliases[strings.ToLower(strings.TrimSpace(platform))]
	if !ok {
		return Binding{}, msg.New("members.bind_bad_platform", strings.TrimSpace(platform))
	}
	k := strings.ToLower(strings.Join(strings.Fields(kind), ""))
	if k == "" && len(PersonKinds[p]) == 1 {
		k = PersonKinds[p][0]
	}
	if alias, ok := kindAliases[k]; ok {
		k = alias
	}
	valid := false
	for _, pk := range PersonKinds[p] {
		valid = valid || pk == k
	}
	if !valid {
		return Binding{}, msg.New("members.bind_bad_kind", PlatformLabel(p), strings.TrimSpace(kind))
	}
	v := strings.TrimSpace(value)
	if v == "" {
		return Binding{}, msg.New("members.bind_empty", KindLabel(k))
	}
	switch k {
	case KindSpecialID, KindRelationID:
		// The platform writes 0 for "none": never an id.
		if len(v) > maxTaobaoID || strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 ||
			strings.Trim(v, "0") == "" {
			return Binding{}, msg.New("members.bind_bad_number", KindLabel(k), v)
		}
	case KindSubUnionID:
		if len(v) > maxSubUnionID || strings.IndexFunc(v, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-')
		}) >= 0 {
			return Binding{}, msg.New("members.bind_bad_sub_union_id", v, maxSubUnionID)
		}
	case KindCustomParameters:
		if len(v) > maxCustomPar || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return Binding{}, msg.New("members.bind_bad_custom_parameters", maxCustomPar)
		}
	}
	return Binding{Platform: p, Kind: k, Value: v}, nil
}

// Bind binds a person-level id to a member. Binding a value again to the
// same member changes nothing; a value bound to another member is
// ErrBindTaken (unbind it first).
func (s *Store) Bind(ctx context.Context, memberID int64, platform, kind, value string) error {
	_, _, err := s.AddBinding(ctx, memberID, platform, kind, value)
	return err
}

// AddBinding is Bind returning the binding as stored and whether it is new
// (the API answers 201 or 200).
func (s *Store) AddBinding(ctx context.Context, memberID int64, platform, kind, value string) (Binding, bool, error) {
	var added bool
	err := s.db.Atomic(ctx, func(tx *store.Tx) error {
		var err error
		added, err = s.BindTx(ctx, tx, memberID, platform, kind, value)
		return err
	})
	if err != nil {
		return Binding{}, false, err
	}
	b, _ := NormalizeBinding(platform, kind, value)
	var at int64
	if err := s.db.QueryRowContext(ctx, `SELECT created_at FROM member_ids WHERE platform = $1 AND kind = $2 AND value = $3`,
		b.Platform, b.Kind, b.Value).Scan(&at); err != nil {
		return Binding{}, false, fmt.Errorf("bind %s: %w", PersonKey(b.Platform, b.Kind, b.Value), err)
	}
	b.MemberID, b.Created = memberID, time.Unix(at, 0).UTC()
	return b, added, nil
}

// BindTx is Bind inside the caller's transaction; added reports whether
// the binding is new.
func (s *Store) BindTx(ctx context.Context, tx *store.Tx, memberID int64, platform, kind, value string) (added bool, err error) {
	b, err := NormalizeBinding(platform, kind, value)
	if err != nil {
		return false, err
	}
	if err := memberExists(ctx, tx, memberID); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO member_ids (platform, kind, value, member_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, kind, value) DO NOTHING`,
		b.Platform, b.Kind, b.Value, memberID, s.now().Unix())
	if err != nil {
		return false, fmt.Errorf("bind %s: %w", PersonKey(b.Platform, b.Kind, b.Value), err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err == nil, err
	}
	var owner int64
	if err := tx.QueryRowContext(ctx, `SELECT member_id FROM member_ids WHERE platform = $1 AND kind = $2 AND value = $3`,
		b.Platform, b.Kind, b.Value).Scan(&owner); err != nil {
		return false, fmt.Errorf("bind %s: %w", PersonKey(b.Platform, b.Kind, b.Value), err)
	}
	if owner != memberID {
		return false, ErrBindTaken.With(KindLabel(b.Kind), b.Value, owner)
	}
	return false, nil
}

// ExternalBinding is a person-level id to bind to the member known on a
// source by its platform id (BindExternal).
type ExternalBinding struct {
	ExternalID            string
	Platform, Kind, Value string
}

// BindExternal binds ids to members of source by their platform ids, all
// in one transaction: the whole batch or nothing (an unknown member, a bad
// id or a value another member has fails it). It counts the new bindings
// and those the members already had.
func (s *Store) BindExternal(ctx context.Context, source Source, binds []ExternalBinding) (BindStats, error) {
	var st BindStats
	err := s.db.Atomic(ctx, func(tx *store.Tx) error {
		st = BindStats{}
		ids := map[string]int64{}
		for _, b := range binds {
			id, ok := ids[b.ExternalID]
			if !ok {
				var err error
				if id, err = memberByExternal(ctx, tx, source, b.ExternalID); err != nil {
					return err
				}
				ids[b.ExternalID] = id
			}
			added, err := s.BindTx(ctx, tx, id, b.Platform, b.Kind, b.Value)
			switch {
			case err != nil:
				return err
			case added:
				st.Bound++
			default:
				st.Unchanged++
			}
		}
		return nil
	})
	if err != nil {
		return BindStats{}, err
	}
	return st, nil
}

// memberExists is ErrNoMember unless the member is registered.
func memberExists(ctx context.Context, tx *store.Tx, memberID int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM members WHERE id = $1`, memberID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoMember.With(memberID)
	}
	return err
}

// Unbind removes the binding of a person-level id (ErrBindNotBound when
// the value is bound to no member). Orders already credited keep their
// member until they are attributed again.
func (s *Store) Unbind(ctx context.Context, platform, kind, value string) error {
	return s.unbind(ctx, 0, platform, kind, value)
}

// UnbindMember is Unbind of a value bound to memberID: ErrBindNotBound when
// it is bound to another member or none.
func (s *Store) UnbindMember(ctx context.Context, memberID int64, platform, kind, value string) error {
	if memberID <= 0 {
		return ErrNoMember.With(memberID)
	}
	return s.unbind(ctx, memberID, platform, kind, value)
}

// unbind deletes a binding; of memberID only, when not 0.
func (s *Store) unbind(ctx context.Context, memberID int64, platform, kind, value string) error {
	b, err := NormalizeBinding(platform, kind, value)
	if err != nil {
		return err
	}
	q, args := `DELETE FROM member_ids WHERE platform = $1 AND kind = $2 AND value = $3`, []any{b.Platform, b.Kind, b.Value}
	if memberID != 0 {
		q, args = q+` AND member_id = $4`, append(args, memberID)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("unbind %s: %w", PersonKey(b.Platform, b.Kind, b.Value), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrBindNotBound.With(KindLabel(b.Kind), b.Value)
	}
	return nil
}

// Bindings lists a member's person-level ids by platform, kind and value.
func (s *Store) Bindings(ctx context.Context, memberID int64) ([]Binding, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT platform, kind, value, created_at FROM member_ids
		WHERE member_id = $1 ORDER BY platform, kind, value`, memberID)
	if err != nil {
		return nil, fmt.Errorf("bindings of member %d: %w", memberID, err)
	}
	defer rows.Close()
	out := []Binding{}
	for rows.Next() {
		b := Binding{MemberID: memberID}
		var at int64
		if err := rows.Scan(&b.Platform, &b.Kind, &b.Value, &at); err != nil {
			return nil, err
		}
		b.Created = time.Unix(at, 0).UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

// MemberBindings is Bindings of a registered member: ErrNoMember when
// there is no such member.
func (s *Store) MemberBindings(ctx context.Context, memberID int64) ([]Binding, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM members WHERE id = $1`, memberID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoMember.With(memberID)
	}
	if err != nil {
		return nil, fmt.Errorf("member %d: %w", memberID, err)
	}
	return s.Bindings(ctx, memberID)
}

// ByPersonID maps every bound id, PersonKey(platform, kind, value), to its
// member: what attribution loads once per run.
func (s *Store) ByPersonID(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT platform, kind, value, member_id FROM member_ids`)
	if err != nil {
		return nil, fmt.Errorf("member ids: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var p, k, v string
		var id int64
		if err := rows.Scan(&p, &k, &v, &id); err != nil {
			return nil, err
		}
		out[PersonKey(p, k, v)] = id
	}
	return out, rows.Err()
}

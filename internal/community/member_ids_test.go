package community

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/msg"
	"github.com/qunke/qunke/internal/store"
	"github.com/qunke/qunke/internal/store/storetest"
)

func TestNormalizeBinding(t *testing.T) {
	cases := []struct {
		platform, kind, value string
		want                  string // PersonKey, "" = an error
		en                    string // the error in English, when checked
	}{
		{"taobao", "special_id", " 2688001 ", "taobao/special_id/2688001", ""},
		{"天猫", "会员运营ID", "2688001", "taobao/special_id/2688001", ""},
		{"淘宝", "渠道关系 ID", "3001", "taobao/relation_id/3001", ""},
		{"Alimama", "relationId", "3001", "taobao/relation_id/3001", ""},
		{"京东", "", "qk_m-12", "jd/sub_union_id/qk_m-12", ""},
		{"jd", "subUnionId", "qk_m-12", "jd/sub_union_id/qk_m-12", ""},
		{"拼多多", "", `{"uid":"12"}`, `pdd/custom_parameters/{"uid":"12"}`, ""},
		{"taobao", "", "1", "", `Taobao/Tmall has no id kind "": Taobao/Tmall have special_id and relation_id, JD subUnionId, Pinduoduo custom_parameters`},
		{"taobao", "special_id", "12a", "", `the Alimama special ID (会员运营ID) must be a number, not "12a"`},
		{"taobao", "relation_id", "123456789012345678901", "", ""},
		{"taobao", "relation_id", "0", "", ""}, // the order API's "none"
		{"jd", "sub_union_id", "has space", "", `subUnionId "has space" may hold letters, digits, _ and - only, at most 80 characters`},
		{"jd", "sub_union_id", strings.Repeat("a", 81), "", ""},
		{"pdd", "", strings.Repeat("a", 65), "", "custom_parameters is at most 64 bytes, without control characters"},
		{"pdd", "", "a\nb", "", ""},
		{"jd", "special_id", "1", "", ""},
		{"vip", "x", "1", "", `platform "vip" cannot be bound: use taobao, jd or pdd`},
		{"jd", "", "  ", "", "give the JD subUnionId"},
	}
	for _, c := range cases {
		b, err := NormalizeBinding(c.platform, c.kind, c.value)
		switch {
		case c.want != "" && err != nil:
			t.Errorf("%s %s %q: %v", c.platform, c.kind, c.value, err)
		case c.want != "" && PersonKey(b.Platform, b.Kind, b.Value) != c.want:
			t.Errorf("%s %s %q: got %s, want %s", c.platform, c.kind, c.value, PersonKey(b.Platform, b.Kind, b.Value), c.want)
		case c.want == "" && err == nil:
			t.Errorf("%s %s %q: accepted as %+v", c.platform, c.kind, c.value, b)
		case c.want == "" && c.en != "" && msg.In(i18n.EN, err) != c.en:
			t.Errorf("%s %s %q: in English %q, want %q", c.platform, c.kind, c.value, msg.In(i18n.EN, err), c.en)
		}
	}
}

func TestBindOneMemberPerValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		a, b := testMember(t, s, "a"), testMember(t, s, "b")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.Bind(ctx, a, "taobao", "special_id", "2688001"))
		must(s.Bind(ctx, a, "淘宝", "会员运营ID", "2688001")) // the same binding again: nothing changes
		must(s.Bind(ctx, a, "taobao", "relation_id", "3001"))
		must(s.Bind(ctx, b, "jd", "", "qk_b"))
		must(s.Bind(ctx, b, "pdd", "", `{"uid":"b"}`))
		// The value is a's: b cannot take it, and nothing changes.
		err := s.Bind(ctx, b, "taobao", "special_id", "2688001")
		if !errors.Is(err, ErrBindTaken) {
			t.Fatalf("bind a taken value: %v", err)
		}
		if got := msg.In(i18n.ZH, err); got != "会员运营ID「2688001」已绑定成员 "+itoa(a)+"：先解除那边的绑定" {
			t.Fatalf("in Chinese: %q", got)
		}
		// The same value of another kind or platform is another id.
		must(s.Bind(ctx, b, "taobao", "relation_id", "2688001"))
		if err := s.Bind(ctx, b+100, "jd", "", "x"); !errors.Is(err, ErrNoMember) {
			t.Fatalf("bind to no member: %v", err)
		}
		if err := s.Bind(ctx, a, "jd", "", "bad id"); err == nil {
			t.Fatal("a bad id was bound")
		}

		list, err := s.Bindings(ctx, a)
		must(err)
		if got := bindingKeys(list); got != "taobao/relation_id/3001 taobao/special_id/2688001" {
			t.Fatalf("a's bindings: %s", got)
		}
		if list[0].MemberID != a || list[0].Created.IsZero() || list[0].Created.Location().String() != "UTC" {
			t.Fatalf("binding: %+v", list[0])
		}
		all, err := s.ByPersonID(ctx)
		must(err)
		want := map[string]int64{"taobao/special_id/2688001": a, "taobao/relation_id/3001": a, "jd/sub_union_id/qk_b": b,
			`pdd/custom_parameters/{"uid":"b"}`: b, "taobao/relation_id/2688001": b}
		if len(all) != len(want) {
			t.Fatalf("by person id: %v", all)
		}
		for k, v := range want {
			if all[k] != v {
				t.Fatalf("by person id: %s -> %d, want %d (%v)", k, all[k], v, all)
			}
		}

		// By platform id, all or nothing.
		st, err := s.BindExternal(ctx, SourceWeCom, []ExternalBinding{{"a", "pdd", "", "a-1"}, {"b", "pdd", "", "b-1"}, {"a", "pdd", "", "a-1"}})
		if err != nil || st != (BindStats{Bound: 2, Unchanged: 1}) {
			t.Fatalf("bind by platform id: %+v %v", st, err)
		}
		if _, err := s.BindExternal(ctx, SourceWeCom, []ExternalBinding{{"a", "pdd", "", "a-2"}, {"nobody", "pdd", "", "x-1"}}); err == nil {
			t.Fatal("an unknown member was bound")
		}
		if got, _ := s.Bindings(ctx, a); strings.Contains(bindingKeys(got), "a-2") {
			t.Fatalf("a failed batch bound a-2: %v", got)
		}
		// Only a's own value is unbound from a.
		if err := s.UnbindMember(ctx, b, "taobao", "special_id", "2688001"); !errors.Is(err, ErrBindNotBound) {
			t.Fatalf("unbind another member's value: %v", err)
		}
		if got, added, err := s.AddBinding(ctx, a, "taobao", "relation_id", "3001"); err != nil || added || got.MemberID != a || got.Created.IsZero() {
			t.Fatalf("add an existing binding: %+v %v %v", got, added, err)
		}
		// Unbound, the value may go to b.
		must(s.Unbind(ctx, "tmall", "special_id", "2688001"))
		if err := s.Unbind(ctx, "taobao", "special_id", "2688001"); !errors.Is(err, ErrBindNotBound) {
			t.Fatalf("unbind twice: %v", err)
		}
		must(s.Bind(ctx, b, "taobao", "special_id", "2688001"))
		list, err = s.Bindings(ctx, b)
		must(err)
		if got := bindingKeys(list); got != `jd/sub_union_id/qk_b pdd/custom_parameters/b-1 pdd/custom_parameters/{"uid":"b"} taobao/relation_id/2688001 taobao/special_id/2688001` {
			t.Fatalf("b's bindings: %s", got)
		}
	})
}

func TestImportBindings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewStore(db)
		a, b, c := testMember(t, s, "a"), testMember(t, s, "b"), testMember(t, s, "c")
		if err := s.Bind(ctx, c, "taobao", "special_id", "900"); err != nil {
			t.Fatal(err)
		}
		// One id per row (platform, kind, value).
		long := "成员ID,平台,类型,值\n" +
			itoa(a) + ",淘宝,会员运营ID,100\n" +
			itoa(a) + ",京东,,qk_a\n" +
			"\n" +
			itoa(b) + ",拼多多,custom_parameters,b-1\n" +
			itoa(c) + ",taobao,special_id,900\n"
		st, err := s.ImportBindings(ctx, "bind.csv", strings.NewReader(long))
		if err != nil {
			t.Fatal(err)
		}
		if st != (BindStats{Bound: 3, Unchanged: 1}) {
			t.Fatalf("stats: %+v", st)
		}
		// One column per kind.
		wide := "成员ID,会员运营ID,渠道关系ID,subUnionId\n" + itoa(b) + ",200,300,\n" + itoa(a) + ",100,,qk_a\n"
		if st, err = s.ImportBindings(ctx, "bind.csv", strings.NewReader(wide)); err != nil {
			t.Fatal(err)
		}
		if st != (BindStats{Bound: 2, Unchanged: 2}) {
			t.Fatalf("stats: %+v", st)
		}
		// By the member's platform id, with or without its source.
		ext := "外部ID,来源,custom_parameters\nc,wecom,c-1\nc,,c-2\n"
		if st, err = s.ImportBindings(ctx, "bind.csv", strings.NewReader(ext)); err != nil || st.Bound != 2 {
			t.Fatalf("by external id: %+v %v", st, err)
		}
		all, _ := s.ByPersonID(ctx)
		if len(all) != 8 || all["taobao/relation_id/300"] != b || all["jd/sub_union_id/qk_a"] != a || all["pdd/custom_parameters/c-2"] != c {
			t.Fatalf("bound: %v", all)
		}
		_, err = s.ImportBindings(ctx, "bind.csv", strings.NewReader("外部ID,来源,subUnionId\nc,qq,z2\n"))
		if err == nil || !strings.Contains(msg.In(i18n.EN, err), `row 2, column 来源: unknown source "qq"`) {
			t.Fatalf("unknown source: %v", err)
		}
		_, err = s.ImportBindings(ctx, "bind.csv", strings.NewReader("外部ID,来源,subUnionId\nc,wecom,z2\nzz,wecom,z1\n"))
		if err == nil || !strings.Contains(msg.In(i18n.EN, err), `row 3, column 外部ID: no member with external id "zz"`) {
			t.Fatalf("unknown external id: %v", err)
		}

		// Bad rows: each named by row and column; nothing bound.
		bad := "成员ID,会员运营ID,subUnionId\n" +
			itoa(a) + ",101,\n" + // fine, but the file fails
			"x,102,\n" + // row 3: not a member id
			itoa(b) + ",10a,\n" + // row 4: not a number
			",103,\n" + // row 5: no member
			itoa(b) + ",101,\n" + // row 6: 101 given to a on row 2
			itoa(b) + ",900,\n" + // row 7: bound to c
			itoa(b) + ",,\n" // row 8: nothing to bind
		_, err = s.ImportBindings(ctx, "bind.csv", strings.NewReader(bad))
		var ie *BindImportError
		if !errors.As(err, &ie) {
			t.Fatalf("bad file: %v", err)
		}
		got := ie.Text(i18n.EN)
		for _, want := range []string{
			"5 bad rows, nothing bound",
			`row 3, column 成员ID: member id "x" is not a positive whole number`,
			`row 4, column 会员运营ID: the Alimama special ID (会员运营ID) must be a number, not "10a"`,
			"row 5, column 成员ID: no member given",
			`row 6, column 会员运营ID: Alimama special ID (会员运营ID) "101" was given to another member on row 2`,
			"row 8: the row has no id to bind",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("missing %q in:\n%s", want, got)
			}
		}
		// The row bound elsewhere is found when the good rows are stored:
		// it fails the file too.
		ok := "成员ID,会员运营ID\n" + itoa(a) + ",101\n" + itoa(b) + ",900\n"
		_, err = s.ImportBindings(ctx, "bind.csv", strings.NewReader(ok))
		if !errors.As(err, &ie) || !strings.Contains(ie.Text(i18n.EN), `row 3, column 会员运营ID: Alimama special ID (会员运营ID) "900" is already bound to member `+itoa(c)) {
			t.Fatalf("taken value: %v", err)
		}
		if after, _ := s.ByPersonID(ctx); len(after) != 8 {
			t.Fatalf("a failed file bound something: %v", after)
		}
		for _, f := range []struct{ data, en string }{
			{"", "the file is empty"},
			{"名字,值\nx,1\n", "no member column"},
			{"成员ID,名字\n1,x\n", "no id column"},
			{"成员ID,值\n1,2\n", "needs a 平台 (platform) column"},
		} {
			_, err := s.ImportBindings(ctx, "bind.csv", strings.NewReader(f.data))
			if err == nil || !strings.Contains(msg.In(i18n.EN, err), f.en) {
				t.Errorf("%q: %v", f.data, err)
			}
		}
	})
}

func bindingKeys(list []Binding) string {
	var keys []string
	for _, b := range list {
		keys = append(keys, PersonKey(b.Platform, b.Kind, b.Value))
	}
	return strings.Join(keys, " ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// testMember registers a WeCom member with external id name, in a group
// of its own, for the binding tests.
func testMember(t *testing.T, s *Store, name string) int64 {
	t.Helper()
	g := addGroup(t, s, "绑定-"+name)
	apply(t, s, join("bind:"+name, g, name, at(0, 9)))
	m, _ := memberByExt(t, s, SourceWeCom, name)
	return m.ID
}

package wecom

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/qunke/qunke/internal/wecom/wecomfake"
)

// TestJoinWayProtocol: the client's join way calls against the fake, and
// the fake's documented refusals (state over 30, more than 5 groups, an
// unknown group or config_id, a bad scene).
func TestJoinWayProtocol(t *testing.T) {
	ctx := context.Background()
	wc := wecomfake.New("ww-corp", "secret")
	defer wc.Close()
	wc.AddChat("wrA", "A", "u")
	wc.AddChat("wrB", "B", "u")
	c := NewClient(wc.URL, "ww-corp", "secret")
	id, err := c.AddJoinWay(ctx, JoinWay{Scene: SceneQRCode, AutoCreateRoom: 1, RoomBaseName: "福利群", RoomBaseID: 3,
		ChatIDs: []string{"wrA", "wrB"}, State: "qk1.alice", Remark: strings.Repeat("备", 40)})
	if err != nil || id == "" {
		t.Fatalf("add: %q %v", id, err)
	}
	j, err := c.GetJoinWay(ctx, id)
	if err != nil || j.State != "qk1.alice" || len(j.ChatIDs) != 2 || j.QRCode == "" || len([]rune(j.Remark)) != 30 {
		t.Fatalf("get: %+v %v", j, err)
	}
	j.ChatIDs = []string{"wrB"}
	if err := c.UpdateJoinWay(ctx, j); err != nil {
		t.Fatal(err)
	}
	if j2, _ := c.GetJoinWay(ctx, id); len(j2.ChatIDs) != 1 || j2.QRCode != j.QRCode {
		t.Errorf("after update: %+v", j2)
	}
	if err := c.DelJoinWay(ctx, id); err != nil {
		t.Fatal(err)
	}
	var ae *APIError
	if _, err := c.GetJoinWay(ctx, id); !errors.As(err, &ae) || ae.Code != ErrBadParam {
		t.Errorf("deleted config: %v", err)
	}
	// The client refuses what WeCom would, before calling.
	for _, bad := range []JoinWay{{ChatIDs: nil}, {ChatIDs: []string{"1", "2", "3", "4", "5", "6"}},
		{ChatIDs: []string{"wrA"}, State: strings.Repeat("s", 31)}} {
		if _, err := c.AddJoinWay(ctx, bad); err == nil {
			t.Errorf("client passed %+v", bad)
		}
	}
	// The fake refuses them too, with WeCom's errcodes.
	for _, b := range []struct {
		body map[string]any
		code int
	}{
		{map[string]any{"scene": 2, "chat_id_list": []string{"wrA"}, "state": strings.Repeat("s", 31)}, ErrBadParam},
		{map[string]any{"scene": 2, "chat_id_list": []string{"1", "2", "3", "4", "5", "6"}}, ErrBadParam},
		{map[string]any{"scene": 3, "chat_id_list": []string{"wrA"}}, ErrBadParam},
		{map[string]any{"scene": 2, "chat_id_list": []string{"wrZ"}}, ErrNoChat},
		{map[string]any{"scene": 2, "chat_id_list": []string{"wrA"}, "auto_create_room": 1}, ErrBadParam},
	} {
		var out struct{}
		err := c.call(ctx, "externalcontact/groupchat/add_join_way", b.body, &out)
		if !errors.As(err, &ae) || ae.Code != b.code {
			t.Errorf("%v: %v, want errcode %d", b.body, err, b.code)
		}
	}
	if err := c.UpdateJoinWay(ctx, JoinWay{ConfigID: "nope", ChatIDs: []string{"wrA"}}); !errors.As(err, &ae) || ae.Code != ErrBadParam {
		t.Errorf("unknown config: %v", err)
	}
}

package wecom

// The customer groups' join ways (客户群「加入群聊」): a QR code (scene 2)
// or a mini-program button (scene 1) that lets a customer join one of up to
// 5 groups, WeCom moving to the next when one is full and, with
// auto_create_room, creating a new group when all are. The state (at most
// 30 characters) comes back on each member who joined by it
// (groupchat/get's member_list[].state).

import (
	"context"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
)

// Limits of add_join_way.
const (
	JoinWayMaxChats = 5  // chat_id_list
	JoinWayMaxState = 30 // state
	JoinWayMaxName  = 40 // room_base_name
)

// Join way scenes.
const (
	SceneMiniProgram = 1
	SceneQRCode      = 2
)

// JoinWay is a join way's configuration.
type JoinWay struct {
	ConfigID       string   `json:"config_id,omitempty"`
	Scene          int      `json:"scene"`
	Remark         string   `json:"remark,omitempty"`
	AutoCreateRoom int      `json:"auto_create_room"`
	RoomBaseName   string   `json:"room_base_name,omitempty"`
	RoomBaseID     int      `json:"room_base_id,omitempty"`
	ChatIDs        []string `json:"chat_id_list"`
	State          string   `json:"state,omitempty"`
	QRCode         string   `json:"qr_code,omitempty"` // get_join_way: the QR image's URL (scene 2)
}

func (j *JoinWay) check() error {
	if len(j.ChatIDs) < 1 || len(j.ChatIDs) > JoinWayMaxChats {
		return msg.New("wecom.join_way_chats", len(j.ChatIDs), JoinWayMaxChats)
	}
	if utf8.RuneCountInString(j.State) > JoinWayMaxState {
		return msg.New("wecom.join_way_state", j.State, JoinWayMaxState)
	}
	if utf8.RuneCountInString(j.RoomBaseName) > JoinWayMaxName {
		return msg.New("wecom.join_way_name", JoinWayMaxName)
	}
	if j.Scene != SceneMiniProgram && j.Scene != SceneQRCode {
		j.Scene = SceneQRCode
	}
	return nil
}

// AddJoinWay creates a join way and returns its config_id.
func (c *Client) AddJoinWay(ctx context.Context, j JoinWay) (string, error) {
	if err := j.check(); err != nil {
		return "", err
	}
	j.ConfigID, j.QRCode = "", ""
	var a struct {
		ConfigID string `json:"config_id"`
	}
	if err := c.call(ctx, "externalcontact/groupchat/add_join_way", j, &a); err != nil {
		return "", err
	}
	if a.ConfigID == "" {
		return "", msg.New("wecom.unreadable", "externalcontact/groupchat/add_join_way", "config_id")
	}
	return a.ConfigID, nil
}

// GetJoinWay returns a join way with its QR code's URL.
func (c *Client) GetJoinWay(ctx context.Context, configID string) (JoinWay, error) {
	var a struct {
		J JoinWay `json:"join_way"`
	}
	if err := c.call(ctx, "externalcontact/groupchat/get_join_way", map[string]string{"config_id": configID}, &a); err != nil {
		return JoinWay{}, err
	}
	if a.J.ConfigID == "" {
		return JoinWay{}, msg.New("wecom.unreadable", "externalcontact/groupchat/get_join_way", "join_way.config_id")
	}
	return a.J, nil
}

// UpdateJoinWay replaces a join way's configuration (j.ConfigID names it).
func (c *Client) UpdateJoinWay(ctx context.Context, j JoinWay) error {
	if j.ConfigID == "" {
		return msg.New("wecom.join_way_id")
	}
	if err := j.check(); err != nil {
		return err
	}
	j.QRCode = ""
	var a struct{}
	return c.call(ctx, "externalcontact/groupchat/update_join_way", j, &a)
}

// DelJoinWay deletes a join way.
func (c *Client) DelJoinWay(ctx context.Context, configID string) error {
	var a struct{}
	return c.call(ctx, "externalcontact/groupchat/del_join_way", map[string]string{"config_id": configID}, &a)
}

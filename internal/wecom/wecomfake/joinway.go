package wecomfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"unicode/utf8"
)

// JoinWay is a join way as the fake keeps it (the API's fields).
type JoinWay struct {
	ConfigID       string   `json:"config_id"`
	Scene          int      `json:"scene"`
	Remark         string   `json:"remark"`
	AutoCreateRoom int      `json:"auto_create_room"`
	RoomBaseName   string   `json:"room_base_name"`
	RoomBaseID     int      `json:"room_base_id"`
	ChatIDs        []string `json:"chat_id_list"`
	State          string   `json:"state"`
	QRCode         string   `json:"qr_code"`
}

// The limits of add_join_way as WeCom documents them.
const (
	maxWayChats  = 5  // chat_id_list: at most 5 groups
	maxWayState  = 30 // state: at most 30 characters
	maxWayRemark = 30 // remark: longer is cut
	maxRoomName  = 40 // room_base_name
)

// JoinWays returns the join ways configured now.
func (s *Server) JoinWays() []JoinWay {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []JoinWay
	for _, j := range s.ways {
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b JoinWay) int {
		if a.ConfigID < b.ConfigID {
			return -1
		}
		return 1
	})
	return out
}

// joinWay answers add_join_way, get_join_way, update_join_way and
// del_join_way: scene 1 or 2, chat_id_list of 1..5 known groups, a state of
// at most 30 characters, room_base_name of at most 40 (40058 otherwise,
// 40050 for an unknown group); an unknown config_id is 40058.
func (s *Server) joinWay(w http.ResponseWriter, path string, raw []byte) {
	var b JoinWay
	if err := json.Unmarshal(raw, &b); err != nil {
		fail(w, 40058, "Warning: wrong json format. invalid Request Parameter")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "externalcontact/groupchat/add_join_way" {
		b.ConfigID = ""
	} else if b.ConfigID == "" || s.ways[b.ConfigID] == nil {
		fail(w, 40058, "invalid config_id. invalid Request Parameter")
		return
	}
	switch path {
	case "externalcontact/groupchat/get_join_way":
		answer(w, map[string]any{"join_way": *s.ways[b.ConfigID]})
		return
	case "externalcontact/groupchat/del_join_way":
		delete(s.ways, b.ConfigID)
		answer(w, map[string]any{})
		return
	}
	switch {
	case b.Scene != 1 && b.Scene != 2:
		fail(w, 40058, "scene must be 1 or 2. invalid Request Parameter")
		return
	case len(b.ChatIDs) < 1 || len(b.ChatIDs) > maxWayChats:
		fail(w, 40058, "chat_id_list size must be 1..5. invalid Request Parameter")
		return
	case utf8.RuneCountInString(b.State) > maxWayState:
		fail(w, 40058, "state exceed max length 30. invalid Request Parameter")
		return
	case utf8.RuneCountInString(b.RoomBaseName) > maxRoomName:
		fail(w, 40058, "room_base_name exceed max length. invalid Request Parameter")
		return
	case b.AutoCreateRoom == 1 && b.RoomBaseName == "":
		fail(w, 40058, "room_base_name required when auto_create_room. invalid Request Parameter")
		return
	}
	for _, id := range b.ChatIDs {
		if s.chats[id] == nil {
			fail(w, 40050, "chatid not found")
			return
		}
	}
	if r := []rune(b.Remark); len(r) > maxWayRemark {
		b.Remark = string(r[:maxWayRemark])
	}
	if b.ConfigID == "" {
		id := make([]byte, 16)
		_, _ = rand.Read(id)
		b.ConfigID = hex.EncodeToString(id)
		b.QRCode = s.URL + "/joinqr/" + b.ConfigID + ".png"
		s.ways[b.ConfigID] = &b
		answer(w, map[string]any{"config_id": b.ConfigID})
		return
	}
	b.QRCode = s.ways[b.ConfigID].QRCode
	s.ways[b.ConfigID] = &b
	answer(w, map[string]any{})
}

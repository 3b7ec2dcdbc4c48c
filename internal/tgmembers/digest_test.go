package tgmembers

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/qunke/qunke/internal/community"
)

const bot = 7000001

// updates decodes a JSON array of updates, as the Bot API sends them.
func updates(t *testing.T, js string) []Update {
	t.Helper()
	var ups []Update
	if err := json.Unmarshal([]byte(js), &ups); err != nil {
		t.Fatal(err)
	}
	return ups
}

func user(id int64, name string) string {
	return fmt.Sprintf(`{"id":%d,"is_bot":false,"first_name":%q}`, id, name)
}

func member(status string, u string) string { return fmt.Sprintf(`{"status":%q,"user":%s}`, status, u) }

const chat = `{"id":-1001234567890,"type":"supergroup","title":"宝妈福利1群"}`

func chatMember(upd int64, from, old, new string, date int64, extra string) string {
	return fmt.Sprintf(`{"update_id":%d,"chat_member":{"chat":%s,"from":%s,"date":%d,"old_chat_member":%s,"new_chat_member":%s%s}}`,
		upd, chat, from, date, old, new, extra)
}

func TestDigestChatMember(t *testing.T) {
	alice, bob, admin := user(11, "Alice"), user(12, "Bob"), user(99, "群主")
	link := `,"invite_link":{"invite_link":"https://t.me/+AbCdEf","creator":` + admin + `,"creates_join_request":false,"is_primary":false,"is_revoked":false,"name":"抖音引流"}`
	js := "[" + chatMember(1, alice, member("left", alice), member("member", alice), 1700000000, link) + "," +
		chatMember(2, admin, member("left", bob), member("member", bob), 1700000100, "") + "," +
		chatMember(3, admin, member("member", bob), member("administrator", bob), 1700000200, "") + "," +
		chatMember(4, alice, member("member", alice), member("left", alice), 1700000300, "") + "," +
		chatMember(5, admin, member("administrator", bob), member("kicked", bob), 1700000400, "") + "," +
		chatMember(6, admin, member("left", alice), `{"status":"restricted","is_member":true,"user":`+alice+`}`, 1700000500, "") + "," +
		chatMember(7, admin, `{"status":"restricted","is_member":true,"user":`+alice+`}`, `{"status":"restricted","is_member":false,"user":`+alice+`}`, 1700000600, "") + "," +
		chatMember(8, admin, member("left", user(13, "Carol")), member("member", user(13, "Carol")), 1700000700, `,"via_join_request":true`) + "]"
	d := DigestUpdates(updates(t, js), bot)
	at := func(s int64) time.Time { return time.Unix(s, 0).UTC() }
	want := []community.MemberEvent{
		{Key: "telegram:-1001234567890:11:1700000000:join", Kind: "join", At: at(1700000000), ExternalID: "11", Name: "Alice",
			JoinHow: "link", Inviter: "99", InviteLink: "https://t.me/+AbCdEf", InviteName: "抖音引流"},
		{Key: "telegram:-1001234567890:12:1700000100:join", Kind: "join", At: at(1700000100), ExternalID: "12", Name: "Bob",
			JoinHow: "invite", Inviter: "99"},
		{Key: "telegram:-1001234567890:11:1700000300:leave", Kind: "leave", At: at(1700000300), ExternalID: "11", Name: "Alice", LeaveHow: "self"},
		{Key: "telegram:-1001234567890:12:1700000400:leave", Kind: "leave", At: at(1700000400), ExternalID: "12", Name: "Bob", LeaveHow: "removed"},
		{Key: "telegram:-1001234567890:11:1700000500:join", Kind: "join", At: at(1700000500), ExternalID: "11", Name: "Alice",
			JoinHow: "invite", Inviter: "99"},
		{Key: "telegram:-1001234567890:11:1700000600:leave", Kind: "leave", At: at(1700000600), ExternalID: "11", Name: "Alice", LeaveHow: "removed"},
		{Key: "telegram:-1001234567890:13:1700000700:join", Kind: "join", At: at(1700000700), ExternalID: "13", Name: "Carol"},
	}
	if len(d.Events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(d.Events), len(want), d.Events)
	}
	for i, w := range want {
		w.Source, w.ChatID = community.SourceTelegram, "-1001234567890"
		if d.Events[i] != w {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, d.Events[i], w)
		}
	}
	if d.Last != 8 || d.Chats["-1001234567890"].Title != "宝妈福利1群" {
		t.Fatalf("last %d chats %+v", d.Last, d.Chats)
	}
}

func TestDigestMessages(t *testing.T) {
	alice, bob := user(11, "Alice"), user(12, "Bob")
	otherBot := `{"id":555,"is_bot":true,"first_name":"Spam"}`
	self := fmt.Sprintf(`{"id":%d,"is_bot":true,"first_name":"Qunke"}`, bot)
	msg := func(upd, date int64, from, extra string) string {
		return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":%s,"date":%d,"chat":%s,"text":"秘密文本"%s}}`,
			upd, upd, from, date, chat, extra)
	}
	// 2023-11-14 23:00 Shanghai is 15:00 UTC; an hour later is the next Shanghai day.
	day1 := time.Date(2023, 11, 14, 15, 0, 0, 0, time.UTC).Unix()
	day2 := day1 + 3600
	js := "[" + msg(1, day1, alice, "") + "," + msg(2, day1+60, alice, "") + "," + msg(3, day2, alice, "") + "," +
		msg(4, day1, bob, "") + "," + msg(5, day1, otherBot, "") + "," +
		msg(6, day1+5, bob, `,"new_chat_members":[`+alice+`,`+otherBot+`,`+self+`]`) + "," +
		msg(7, day1+6, alice, `,"new_chat_members":[`+alice+`]`) + "," +
		msg(8, day2+1, bob, `,"left_chat_member":`+alice) + "," +
		msg(9, day2+2, bob, `,"left_chat_member":`+bob) + "," +
		`{"update_id":10,"message":{"message_id":1,"from":` + alice + `,"date":1,"chat":{"id":11,"type":"private"},"text":"hi"}}` + "]"
	d := DigestUpdates(updates(t, js), bot)
	wantCounts := []Count{
		{ChatID: "-1001234567890", UserID: "11", At: time.Unix(day1, 0).UTC(), N: 2},
		{ChatID: "-1001234567890", UserID: "11", At: time.Unix(day2, 0).UTC(), N: 1},
		{ChatID: "-1001234567890", UserID: "12", At: time.Unix(day1, 0).UTC(), N: 1},
	}
	if fmt.Sprint(d.Counts) != fmt.Sprint(wantCounts) {
		t.Fatalf("counts\n got %+v\nwant %+v", d.Counts, wantCounts)
	}
	var got []string
	for _, e := range d.Events {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", e.Key, e.Kind, e.JoinHow, e.Inviter, e.LeaveHow))
	}
	want := []string{
		fmt.Sprintf("telegram:-1001234567890:11:%d:join join invite 12 ", day1+5),
		fmt.Sprintf("telegram:-1001234567890:11:%d:join join   ", day1+6),
		fmt.Sprintf("telegram:-1001234567890:11:%d:leave leave   removed", day2+1),
		fmt.Sprintf("telegram:-1001234567890:12:%d:leave leave   self", day2+2),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
}

// A join told both by chat_member and by its service message is one event, with the link the
// chat_member update gives, whichever comes first.
func TestDigestBothSources(t *testing.T) {
	alice, admin := user(11, "Alice"), user(99, "群主")
	link := `,"invite_link":{"invite_link":"https://t.me/+x","creator":` + admin + `,"name":"A"}`
	service := `{"update_id":1,"message":{"message_id":5,"from":` + alice + `,"date":1700000000,"chat":` + chat + `,"new_chat_members":[` + alice + `]}}`
	cm := chatMember(2, alice, member("left", alice), member("member", alice), 1700000000, link)
	d := DigestUpdates(updates(t, "["+service+","+cm+"]"), bot)
	if len(d.Events) != 1 || d.Events[0].JoinHow != "link" || d.Events[0].InviteLink != "https://t.me/+x" {
		t.Fatalf("%+v", d.Events)
	}
}

func TestDigestBotStanding(t *testing.T) {
	self := fmt.Sprintf(`{"id":%d,"is_bot":true,"first_name":"Qunke"}`, bot)
	admin := user(99, "群主")
	my := func(upd, date int64, old, new string) string {
		return fmt.Sprintf(`{"update_id":%d,"my_chat_member":{"chat":%s,"from":%s,"date":%d,"old_chat_member":%s,"new_chat_member":%s}}`,
			upd, chat, admin, date, old, new)
	}
	d := DigestUpdates(updates(t, "["+my(1, 100, member("left", self), member("member", self))+","+
		my(3, 300, member("administrator", self), member("member", self))+","+
		my(2, 200, member("member", self), member("administrator", self))+"]"), bot)
	if len(d.Events) != 0 || len(d.BotChats) != 1 {
		t.Fatalf("%+v", d)
	}
	if b := d.BotChats[0]; b.Admin || b.Status != "member" || b.ChatID != "-1001234567890" || b.Title != "宝妈福利1群" {
		t.Fatalf("%+v", b)
	}
}

// An update the registry would refuse (no date, no user id) is left out, so it cannot block the updates
// after it.
func TestDigestLeavesOutMalformed(t *testing.T) {
	alice := user(11, "Alice")
	js := "[" + chatMember(1, alice, member("left", alice), member("member", alice), 0, "") + "," +
		chatMember(2, user(0, ""), member("left", user(0, "")), member("member", user(0, "")), 5, "") + "," +
		`{"update_id":3,"message":{"message_id":1,"from":` + alice + `,"date":0,"chat":` + chat + `,"new_chat_members":[` + alice + `]}},` +
		`{"update_id":4,"message":{"message_id":2,"from":{"id":0,"is_bot":false,"first_name":""},"date":9,"chat":` + chat + `}},` +
		`{"update_id":5}]`
	d := DigestUpdates(updates(t, js), bot)
	if len(d.Events) != 0 || len(d.Counts) != 0 || d.Last != 5 {
		t.Fatalf("%+v", d)
	}
}

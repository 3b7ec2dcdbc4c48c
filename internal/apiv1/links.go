package apiv1

import (
	"github.com/qunke/qunke/internal/i18n"
	"github.com/qunke/qunke/internal/publish"
)

// LinkedMessage is `qunke link --json`: the message with its item
// references converted (转链) for a group, and each reference's outcome.
type LinkedMessage struct {
	Group string       `json:"group"`
	Text  string       `json:"text"`
	Links []LinkedItem `json:"links"`
}

// LinkedItem is one reference: converted (link, share_code) or not (reason,
// in the reader's language).
type LinkedItem struct {
	Raw       string `json:"raw"`
	Platform  string `json:"platform"`
	ItemID    string `json:"item_id"`
	Link      string `json:"link"`
	ShareCode string `json:"share_code"`
	Reason    string `json:"reason"`
}

// NewLinkedMessage is m as `qunke link --json` prints it, its reasons in
// lang.
func NewLinkedMessage(m *publish.ConvertedMessage, lang i18n.Lang) LinkedMessage {
	out := LinkedMessage{Group: m.Group, Text: m.Text, Links: []LinkedItem{}}
	for _, l := range m.Links {
		out.Links = append(out.Links, LinkedItem{Raw: l.Raw, Platform: string(l.Item.Platform), ItemID: l.Item.ItemID,
			Link: l.Link, ShareCode: l.ShareCode, Reason: publish.ReasonText(lang, l.Reason)})
	}
	return out
}

package community

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunke/qunke/internal/msg"
)

// AddMember records one member joining group groupID at at, entered by hand
// (`qunke members add`): someone joined a hand-run group and the operator
// adds them without importing the group's whole list again. The member is
// known by source and externalID (a WeChat id for a hand-run group); it is
// found or added as a join of any other source would be. It returns the
// member's id.
func (s *Store) AddMember(ctx context.Context, groupID int64, source Source, externalID, name string, at time.Time) (int64, error) {
	externalID, name = strings.TrimSpace(externalID), strings.TrimSpace(name)
	switch {
	case externalID == "":
		return 0, msg.New("members.add_no_id")
	case utf8.RuneCountInString(externalID) > maxIDChars:
		return 0, msg.New("members.sheet_too_long", maxIDChars)
	case utf8.RuneCountInString(name) > maxNameChars:
		return 0, msg.New("members.sheet_too_long", maxNameChars)
	}
	if _, err := s.Get(ctx, groupID); err != nil {
		return 0, err
	}
	ev := MemberEvent{Key: fmt.Sprintf("hand:%d:%s:%s:%d:join", groupID, source, externalID, at.Unix()), Source: source,
		GroupID: groupID, Kind: Join, At: at.UTC(), ExternalID: externalID, Name: name}
	if _, err := s.ApplyEvents(ctx, []MemberEvent{ev}); err != nil {
		return 0, err
	}
	rows, _, err := s.Members(ctx, MemberFilter{Query: externalID, GroupID: groupID, Source: source})
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		if r.ExternalID == externalID {
			return r.ID, nil
		}
	}
	return 0, fmt.Errorf("community: member %s:%s not found after its join", source, externalID)
}

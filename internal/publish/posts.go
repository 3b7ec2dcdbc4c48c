package publish

import ()

// Post is a delivery as the packages downstream of publish see it: orders
// credit their orders to sent posts and count them per day.
type Post struct {
	ID       int64
	GroupID  int64
	Platform string
	ItemID   string
	Status   Status
	SlotAt   int64 // when it was planned for; 0: SentAt
	SentAt   int64 // unix seconds; 0 when it never went out
}

// GroupDay names one group's day: Day counts days since 1970-01-01 in the
// zone of the caller's offset.
type GroupDay struct{ GroupID, Day int64 }

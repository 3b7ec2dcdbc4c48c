package bench

import (
	"context"
	"testing"
	"time"
)

func TestPublishSmall(t *testing.T) { eachEngine(t, publishSmall) }

func publishSmall(t *testing.T, pg string) {
	res, err := Publish(context.Background(), PublishConfig{Dir: t.TempDir(), Postgres: pg, Products: 3, Groups: 5, Send: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 15 || res.Posters != 15 || res.PosterBytes < 10_000 {
		t.Fatalf("planned %d, %d posters of %d bytes", res.Deliveries, res.Posters, res.PosterBytes)
	}
	// 3 posts x 2 messages per robot fit in one minute's 20.
	if res.Sent != 15 || res.Messages != 30 || res.Refused != 0 || res.MaxInWindow > 20 {
		t.Fatalf("send: %+v", res)
	}
}

package bench

import (
	"context"
	"testing"
	"time"
)

func TestCallbackSmall(t *testing.T) { eachEngine(t, callbackSmall) }

func callbackSmall(t *testing.T, pg string) {
	res, err := Callback(context.Background(), CallbackConfig{Dir: t.TempDir(), Postgres: pg, Rate: 200, Duration: 2 * time.Second, Clients: 8, Chats: 10})
	if err != nil {
		t.Fatal(err)
	}
	// 400 events: per chat, two joins then a leave, over and over: 40
	// events per chat make 27 members.
	if res.Sent != 400 || res.Failed != 0 || res.Stored != 400 || res.Members != 270 {
		t.Fatalf("%+v", res)
	}
	if res.Ack.N != 400 || res.Ack.P99 <= 0 {
		t.Fatalf("latency %+v", res.Ack)
	}
}

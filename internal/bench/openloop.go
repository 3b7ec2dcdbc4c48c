package bench

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// openLoop is the load of the HTTP benchmarks: n requests at rate a second
// on their schedule (request i is due at start + i/rate whether or not the
// earlier ones were answered, so a slow server shows as latency, not as a
// slower pace), sent by clients connections. send makes request i. It
// returns each request's time from its due time to its whole answer, how
// many failed (an error or a status other than 200), the time it all took
// and the process's CPU meanwhile.
func openLoop(ctx context.Context, n, rate, clients int, send func(c *http.Client, i int) (*http.Response, error)) (lat []time.Duration, failed int, elapsed, cpu time.Duration) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	lat = make([]time.Duration, n)
	bad := make([]bool, n)
	for i := range bad {
		bad[i] = true // until answered: a request never sent (ctx ended) fails
	}
	next := make(chan int)
	start, cpu0 := time.Now(), processCPU()
	every := time.Second / time.Duration(rate)
	var cl sync.WaitGroup
	for range clients {
		cl.Go(func() {
			for i := range next {
				due := start.Add(time.Duration(i) * every)
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
				r, err := send(client, i)
				if err == nil {
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
					bad[i] = r.StatusCode != http.StatusOK
				}
				lat[i] = time.Since(due)
			}
		})
	}
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	cl.Wait()
	elapsed, cpu = time.Since(start), processCPU()-cpu0
	for _, b := range bad {
		if b {
			failed++
		}
	}
	return lat, failed, elapsed, cpu
}

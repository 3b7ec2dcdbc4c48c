package demo

import (
	"testing"
	"time"

	"github.com/qunke/qunke/internal/catalog"
)

var benchEnd = time.Date(2025, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// BenchmarkHistory generates one item's 150 observations per iteration.
func BenchmarkHistory(b *testing.B) {
	const items, snaps = 1000, 150
	m := New(Config{Seed: 1, Items: items, Snapshots: snaps, End: benchEnd})
	dst := make([]catalog.Observation, 0, snaps)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = m.History(i%items, dst)
	}
	b.ReportMetric(float64(b.N)*snaps/b.Elapsed().Seconds(), "obs/s")
}

// BenchmarkSnapshots walks a 20,000-item market through 150 snapshots per
// iteration, item setup (titles, shops) included.
func BenchmarkSnapshots(b *testing.B) {
	const items, snaps = 20000, 150
	m := New(Config{Seed: 1, Items: items, Snapshots: snaps, End: benchEnd})
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		m.Snapshots(func(s int, at int64, recs []catalog.Record) error {
			n += len(recs)
			return nil
		})
	}
	b.ReportMetric(float64(b.N)*items*snaps/b.Elapsed().Seconds(), "obs/s")
}

package similar

// SyntheticTitles returns n titles of one product like a Taoke library's
// (see benchCorpus), for the benchmarks of package similar_test.
func SyntheticTitles(seed uint64, n int) []string {
	c := newBenchCorpus(seed)
	out := make([]string, n)
	for i := range out {
		out[i] = c.title(0)
	}
	return out
}

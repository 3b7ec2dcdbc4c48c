package publish

import "github.com/qunke/qunke/internal/affiliate/standin"

// standinLinks converts every platform's links in process.
func standinLinks(s *Store) *Linker {
	return &Linker{Store: s, Conv: NewConverters(&standin.Converter{})}
}

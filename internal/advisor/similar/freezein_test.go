package similar

import (
	"fmt"
	"reflect"
	"testing"
)

// FreezeIn answers exactly as Freeze, with its arrays from the allocator.
func TestFreezeInMatchesFreeze(t *testing.T) {
	words := []string{"保温杯", "不锈钢", "大容量", "儿童", "水杯", "茶杯", "便携", "男女", "学生", "316", "咖啡杯", "Thermos"}
	heap, in := NewIndex(), NewIndex()
	var titles []string
	for i := range 3000 {
		title := fmt.Sprintf("%s %s %s %d", words[i%len(words)], words[(i*7)%len(words)], words[(i*13)%len(words)], i%50)
		titles = append(titles, title)
		heap.Add(int32(2*i), int32(i%9), title)
		in.Add(int32(2*i), int32(i%9), title)
	}
	heap.Freeze()
	allocated := 0
	in.FreezeIn(func(n int) []byte { allocated += n; return make([]byte, n) })
	if allocated == 0 {
		t.Fatal("nothing came from the allocator")
	}
	for i := 0; i < len(titles); i += 97 {
		a := heap.Similar(titles[i], nil, nil, int32(2*i), 10)
		b := in.Similar(titles[i], nil, nil, int32(2*i), 10)
		if !reflect.DeepEqual(a, b) || len(a) == 0 {
			t.Fatalf("title %d: %v, want %v", i, b, a)
		}
	}
	for _, q := range []string{"保温", "水杯", "容量", "咖啡杯", "316"} {
		ia, na := heap.Search(q, nil, 0, 20)
		ib, nb := in.Search(q, nil, 0, 20)
		if !reflect.DeepEqual(ia, ib) || na != nb || na == 0 {
			t.Fatalf("search %q: %v (%d), want %v (%d)", q, ib, nb, ia, na)
		}
	}
}

package similar

import (
	"fmt"
	"reflect"
	"testing"
)

// An index imported from another's exported arrays answers as that one;
// arrays that do not fit one another are refused.
func TestExportImport(t *testing.T) {
	words := []string{"保温杯", "不锈钢", "大容量", "儿童", "水杯", "茶杯", "便携", "男女", "学生", "316", "咖啡杯", "Thermos"}
	x := NewIndex()
	var titles []string
	for i := range 2000 {
		title := fmt.Sprintf("%s %s %s %d", words[i%len(words)], words[(i*7)%len(words)], words[(i*13)%len(words)], i%50)
		titles = append(titles, title)
		x.Add(int32(3*i), int32(i%7), title)
	}
	x.Freeze()
	y, err := Import(x.Export())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(titles); i += 61 {
		a := x.Similar(titles[i], nil, nil, int32(3*i), 10)
		b := y.Similar(titles[i], []int32{int32(i % 7)}, nil, int32(3*i), 10)
		c := x.Similar(titles[i], []int32{int32(i % 7)}, nil, int32(3*i), 10)
		if len(a) == 0 || !reflect.DeepEqual(b, c) || !reflect.DeepEqual(a, y.Similar(titles[i], nil, nil, int32(3*i), 10)) {
			t.Fatalf("title %d: imported %v, want %v", i, b, c)
		}
	}
	for _, q := range []string{"保温", "杯", "容量", "316", "thermos"} {
		ia, na := x.Search(q, nil, 0, 20)
		ib, nb := y.Search(q, nil, 0, 20)
		if !reflect.DeepEqual(ia, ib) || na != nb || na == 0 {
			t.Fatalf("search %q: %v (%d), want %v (%d)", q, ib, nb, ia, na)
		}
	}
	empty := NewIndex()
	empty.Freeze()
	if _, err := Import(empty.Export()); err != nil {
		t.Fatalf("empty index: %v", err)
	}
	bad := []func(f *Frozen){
		func(f *Frozen) { f.Off = f.Off[:len(f.Off)-1] },
		func(f *Frozen) { f.Norm = f.Norm[1:] },
		func(f *Frozen) { f.Off = append([]uint32{}, f.Off...); f.Off[1], f.Off[2] = f.Off[2]+1, f.Off[1] },
		func(f *Frozen) {
			f.WordOff = append([]uint32{}, f.WordOff...)
			f.WordOff[1] = uint32(len(f.WordData) + 1)
		},
		func(f *Frozen) {
			f.GroupStart = append([]int32{}, f.GroupStart...)
			f.GroupStart[len(f.GroupStart)-1]--
		},
		func(f *Frozen) { f.ByR2 = append([]uint32{}, f.ByR2...); f.ByR2[0] = uint32(len(f.Keys)) },
		func(f *Frozen) { f.Post = f.Post[1:] },
	}
	for i, spoil := range bad {
		f := x.Export()
		spoil(&f)
		if _, err := Import(f); err == nil {
			t.Errorf("spoilt state %d imported", i)
		}
	}
}

package main

import (
	"testing"

	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/affiliate/dataoke"
	"github.com/qunke/qunke/internal/affiliate/jd"
	"github.com/qunke/qunke/internal/affiliate/pdd"
	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/catalog"
)

// TestConverters: serve --demo converts every platform through the
// stand-in; plain serve converts each platform whose credentials the
// environment holds through its client (Taobao through Alimama's own app,
// else dataoke), and no other.
func TestConverters(t *testing.T) {
	f := &platformFlags{alimamaAPI: "http://127.0.0.1:1/top", jdAPI: "http://127.0.0.1:1/jd", pddAPI: "http://127.0.0.1:1/pdd",
		dataokeAPI: "http://127.0.0.1:1/dtk"}
	for _, name := range []string{"QUNKE_ALIMAMA_APP_KEY", "QUNKE_ALIMAMA_APP_SECRET", "QUNKE_DATAOKE_APP_KEY", "QUNKE_DATAOKE_APP_SECRET",
		"QUNKE_JD_APP_KEY", "QUNKE_JD_APP_SECRET", "QUNKE_PDD_CLIENT_ID", "QUNKE_PDD_CLIENT_SECRET"} {
		t.Setenv(name, "")
	}
	demo := converters(true, f)
	for _, p := range catalog.Platforms {
		if _, ok := demo[p].(*standin.Converter); !ok {
			t.Errorf("--demo converts %s through %T", p, demo[p])
		}
	}
	if n := len(converters(false, f)); n != 0 {
		t.Errorf("no credentials, yet %d converters", n)
	}

	t.Setenv("QUNKE_DATAOKE_APP_KEY", "k")
	t.Setenv("QUNKE_DATAOKE_APP_SECRET", "s")
	t.Setenv("QUNKE_JD_APP_KEY", "k")
	t.Setenv("QUNKE_JD_APP_SECRET", "s")
	c := converters(false, f)
	if _, ok := c[catalog.Taobao].(*dataoke.Converter); !ok {
		t.Errorf("dataoke alone: Taobao through %T", c[catalog.Taobao])
	}
	if _, ok := c[catalog.JD].(*jd.Client); !ok {
		t.Errorf("JD through %T", c[catalog.JD])
	}
	if c[catalog.PDD] != nil {
		t.Errorf("PDD without credentials through %T", c[catalog.PDD])
	}

	t.Setenv("QUNKE_ALIMAMA_APP_KEY", "k")
	t.Setenv("QUNKE_ALIMAMA_APP_SECRET", "s")
	t.Setenv("QUNKE_PDD_CLIENT_ID", "k")
	t.Setenv("QUNKE_PDD_CLIENT_SECRET", "s")
	c = converters(false, f)
	for _, p := range []catalog.Platform{catalog.Taobao, catalog.Tmall} {
		if _, ok := c[p].(*alimama.Converter); !ok {
			t.Errorf("with Alimama's own app, %s through %T", p, c[p])
		}
	}
	if _, ok := c[catalog.PDD].(*pdd.Client); !ok {
		t.Errorf("PDD through %T", c[catalog.PDD])
	}
}

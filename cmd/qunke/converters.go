package main

import (
	"os"

	"github.com/qunke/qunke/internal/affiliate"
	"github.com/qunke/qunke/internal/affiliate/alimama"
	"github.com/qunke/qunke/internal/affiliate/dataoke"
	"github.com/qunke/qunke/internal/affiliate/jd"
	"github.com/qunke/qunke/internal/affiliate/pdd"
	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/publish"
)

// converters is the registry of link converters (转链) serve and link use.
// The demo converts through the in-process stand-in. Otherwise each
// platform whose credentials are set in the environment converts through
// its client, at the endpoint f names: Taobao/Tmall through Alimama's own
// app, else through dataoke; JD; Pinduoduo. A platform with none holds its
// posts with "未转链：没有配置…" unless the group allows unconverted links.
func converters(demo bool, f *platformFlags) publish.Converters {
	if demo {
		return publish.NewConverters(&standin.Converter{})
	}
	env := os.Getenv
	var cs []affiliate.Converter
	top := alimama.Config{AppKey: env("QUNKE_ALIMAMA_APP_KEY"), AppSecret: env("QUNKE_ALIMAMA_APP_SECRET"),
		Session: env("QUNKE_ALIMAMA_SESSION"), BaseURL: f.alimamaAPI}
	dtk := dataoke.Config{AppKey: env("QUNKE_DATAOKE_APP_KEY"), AppSecret: env("QUNKE_DATAOKE_APP_SECRET"), BaseURL: f.dataokeAPI}
	switch {
	case top.HasCredentials():
		cs = append(cs, alimama.NewConverter(alimama.NewClient(top)))
	case dtk.HasCredentials():
		cs = append(cs, dataoke.New(dtk))
	}
	if c := jd.NewClient(jd.Config{AppKey: env("QUNKE_JD_APP_KEY"), AppSecret: env("QUNKE_JD_APP_SECRET"), BaseURL: f.jdAPI}); c.HasCredentials() {
		cs = append(cs, c)
	}
	if c := pdd.NewClient(pdd.Config{ClientID: env("QUNKE_PDD_CLIENT_ID"), ClientSecret: env("QUNKE_PDD_CLIENT_SECRET"),
		BaseURL: f.pddAPI}); c.HasCredentials() {
		cs = append(cs, c)
	}
	return publish.NewConverters(cs...)
}

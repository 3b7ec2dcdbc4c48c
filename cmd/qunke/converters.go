package main

import (
	"github.com/qunke/qunke/internal/affiliate/standin"
	"github.com/qunke/qunke/internal/publish"
)

// converters is the registry of link converters (转链) serve and link use.
// The demo converts through the in-process stand-in. Otherwise this is
// where each platform's client, built from the environment by its FromEnv
// constructor (alimama, dataoke, jd, pdd), is registered when its
// credentials are set; a platform with none registered holds its posts
// with "未转链：没有配置…" unless the group allows unconverted links.
func converters(demo bool) publish.Converters {
	if demo {
		return publish.NewConverters(&standin.Converter{})
	}
	return publish.Converters{}
}

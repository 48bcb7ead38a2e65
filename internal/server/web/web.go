// Package web is clipvec serve's web page: HTML, CSS and JavaScript
// embedded in the binary, with no CDN, so the page works offline.
package web

import (
	"embed"
	"io/fs"
)

//go:embed assets
var assets embed.FS

// FS holds the page's files: index.html at its root.
var FS, _ = fs.Sub(assets, "assets")

package sample

import (
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tileColours are the thumbnail backgrounds, one per topic in turn: dark
// enough for white text. A fixed table rather than a computed hue keeps
// the bytes free of floating-point rounding.
var tileColours = []string{
	"#1f5f99", "#b3541e", "#2e7d32", "#a0282c", "#6a3d9a", "#7a5230",
	"#b0336f", "#4f5b66", "#7d7a12", "#13808a", "#3949ab", "#8d6e1f",
}

// Thumbnail returns a data: URL of a small SVG image of v, a video of g:
// a 160×90 tile in the colour of v's topic, with the topic's initial in
// the middle and v's number within its topic in a corner. It is under
// 500 bytes, needs no network, and is the same on every machine. The
// indexed-asset shape writes it as hls.thumbnail_urls; upstream embed
// tasks carry no thumbnail, and neither do their files. It is computed
// on each call, so a Generator of many videos holds none.
func (g *Generator) Thumbnail(v Video) string {
	k := v.index % len(g.topics)
	number := strings.TrimSuffix(strings.TrimPrefix(v.Filename, v.Topic+"-"), ".mp4")
	initial := "?"
	if r, _ := utf8.DecodeRuneInString(v.Topic); r != utf8.RuneError {
		initial = string(unicode.ToUpper(r))
	}
	svg := fmt.Sprintf(`<svg xmlns='http://www.w3.org/2000/svg' width='160' height='90' viewBox='0 0 160 90'>`+
		`<rect width='160' height='90' fill='%s'/>`+
		`<g fill='#fff' font-family='sans-serif' font-weight='bold'>`+
		`<text x='80' y='64' font-size='56' text-anchor='middle'>%s</text>`+
		`<text x='152' y='82' font-size='14' text-anchor='end'>%s</text></g></svg>`,
		tileColours[k%len(tileColours)], html.EscapeString(initial), html.EscapeString(number))
	return "data:image/svg+xml," + escapeURL(svg)
}

// escapeURL percent-encodes s for a data: URL, keeping letters, digits
// and the punctuation that needs no escaping in a URL nor in an HTML
// attribute of either quote.
func escapeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!$()*+,;=:@/", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

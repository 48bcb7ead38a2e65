package command

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// visible returns s with what could move the cursor, clear, recolour or
// retitle a terminal shown as Go-style escapes: C0 controls (\n, \r, \t,
// \a, \b, \f, \v, and \x1b for the others), DEL (\x7f), C1 controls
// (\u009b) and bytes that are not UTF-8 (\xff). Everything else,
// backslashes included, stays as it is, so ordinary names read unchanged
// and unquoted. Human output runs every input-derived text (ids, file
// names, models, metadata, messages) through it; JSON escapes by itself.
func visible(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if hidden(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case !hidden(r, n):
			b.WriteString(s[i : i+n])
		case n == 1 && r == utf8.RuneError, r < 0x80:
			if k := strings.IndexByte("\a\b\f\n\r\t\v", s[i]); k >= 0 {
				b.WriteByte('\\')
				b.WriteByte("abfnrtv"[k])
			} else {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			}
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// hidden reports whether visible escapes the rune r, n bytes long.
func hidden(r rune, n int) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == utf8.RuneError && n == 1
}

// visibleLines is visible for a message of several lines (an error joining
// several): each line escaped, the lines after the first indented, so that
// none passes for a message of its own.
func visibleLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = visible(l)
	}
	return strings.Join(lines, "\n  ")
}

// table writes aligned columns for people. Every cell is shown through
// visible: a tab or a newline in one cannot break the table, nor an
// escape sequence reach the terminal.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cols ...string) {
	shown := make([]string, len(cols))
	for i, c := range cols {
		shown[i] = visible(c)
	}
	fmt.Fprintln(t.tw, strings.Join(shown, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// seconds formats a time in seconds compactly: 6, 7.57, 3747.84.
func seconds(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// count formats an integer with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// bytesHuman formats a size: 512 B, 3.4 MB.
func bytesHuman(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// plural formats "1 file", "2 files" ("2 classes": a noun ending in s
// takes es).
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return count(int64(n)) + " " + noun + "es"
	}
	return count(int64(n)) + " " + noun + "s"
}

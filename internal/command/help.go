package command

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// This file is clipvec's help: a renderer in place of urfave/cli's
// templates, the help command, the errors of commands and flags that do
// not exist or were misused, and the version.

func init() {
	// cli calls HelpPrinter for every --help, -h and bare container
	// command (clipvec, clipvec index); clipvec renders its help itself,
	// within the terminal's width. HelpPrinter is a package variable of
	// cli: it is set once, here, and only clipvec's commands use cli.
	cli.HelpPrinter = func(w io.Writer, _ string, data any) { writeHelp(w, data) }
}

// Help layout: sections indented by helpIndent; the usage text of a
// flag or command starts in a column at most helpIndent+maxNameColumn+2
// wide (longer names put their text on the next line, at that column).
const (
	helpIndent     = 3
	maxNameColumn  = 24
	defaultColumns = 80  // when the output is not a terminal: the acceptance bar
	minColumns     = 40  // a narrower terminal still gets 40
	maxColumns     = 100 // a wider one gets no more: long lines read badly
)

// helpWidth is the width help is wrapped to on w: the terminal's width
// (between minColumns and maxColumns) when w is a terminal, else 80.
func helpWidth(w io.Writer) int {
	n := columns(w)
	if n <= 0 {
		return defaultColumns
	}
	return min(max(n, minColumns), maxColumns)
}

// writeHelp writes the help of data, a *cli.App or a *cli.Command.
func writeHelp(w io.Writer, data any) {
	var b strings.Builder
	switch d := data.(type) {
	case *cli.App:
		appHelp(&b, d, helpWidth(w))
	case *cli.Command:
		path := d.HelpName
		if path == "" {
			path = "clipvec " + d.Name
		}
		commandHelp(&b, d, path, helpWidth(w))
	default:
		return
	}
	_, _ = io.WriteString(w, b.String())
}

// appHelp writes clipvec's own help.
func appHelp(b *strings.Builder, app *cli.App, width int) {
	section(b, "NAME")
	hanging(b, app.Name+" - ", app.Usage, width)
	section(b, "USAGE")
	hanging(b, "", app.Name+" [--db FILE] COMMAND [options] [ARGS]", width)
	if app.Version != "" {
		section(b, "VERSION")
		hanging(b, "", app.Version, width)
	}
	if app.Description != "" {
		section(b, "DESCRIPTION")
		writeText(b, app.Description, helpIndent, width)
	}
	section(b, "COMMANDS")
	twoColumns(b, commandRows(app.Commands), width)
	b.WriteString("\n")
	hanging(b, "", `Run "clipvec COMMAND --help" or "clipvec help COMMAND" for a command's options.`, width)
	section(b, "GLOBAL OPTIONS")
	twoColumns(b, flagRows(app.Flags), width)
}

// commandHelp writes the help of the command cmd, called path
// ("clipvec index build").
func commandHelp(b *strings.Builder, cmd *cli.Command, path string, width int) {
	section(b, "NAME")
	hanging(b, path+" - ", cmd.Usage, width)
	section(b, "USAGE")
	usage := cmd.UsageText
	if usage == "" {
		usage = path
		if len(cmd.Subcommands) > 0 {
			usage += " COMMAND"
		}
		usage += " [options]"
		if a := strings.TrimSpace(cmd.ArgsUsage); a != "" {
			usage += " " + a
		}
	}
	hanging(b, "", usage, width)
	if cmd.Description != "" {
		section(b, "DESCRIPTION")
		writeText(b, cmd.Description, helpIndent, width)
	}
	if cmds := visibleCommands(cmd.Subcommands); len(cmds) > 0 {
		section(b, "COMMANDS")
		twoColumns(b, commandRows(cmds), width)
		b.WriteString("\n")
		hanging(b, "", fmt.Sprintf(`Run "%s COMMAND --help" for a command's options.`, path), width)
	}
	section(b, "OPTIONS")
	twoColumns(b, flagRows(cmd.Flags), width)
}

// section starts a section of help: a blank line (but at the top) and
// its title.
func section(b *strings.Builder, title string) {
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	b.WriteString(title + ":\n")
}

// hanging writes head and text indented, wrapped to width, continuation
// lines under the text's start (or at the indent when head is long).
func hanging(b *strings.Builder, head, text string, width int) {
	left := strings.Repeat(" ", helpIndent) + head
	hang := runeLen(left)
	if hang > width/2 {
		hang = helpIndent
	}
	for i, l := range wrapWords(strings.Fields(text), width-runeLen(left), width-hang) {
		if i == 0 {
			b.WriteString(left + l + "\n")
		} else {
			b.WriteString(strings.Repeat(" ", hang) + l + "\n")
		}
	}
}

// helpRow is a row of a two-column listing: a flag or a command, and
// what it is for.
type helpRow struct{ name, text string }

// twoColumns writes rows as two columns: the names, and the texts wrapped
// to width in a column after the longest name up to maxNameColumn (a
// third of width on a narrow terminal); a longer name has its text start
// on the next line.
func twoColumns(b *strings.Builder, rows []helpRow, width int) {
	nameWidth, maxName := 0, min(maxNameColumn, width/3)
	for _, r := range rows {
		if n := runeLen(r.name); n <= maxName {
			nameWidth = max(nameWidth, n)
		}
	}
	indent := strings.Repeat(" ", helpIndent)
	col := helpIndent + nameWidth + 2
	pad := strings.Repeat(" ", col)
	for _, r := range rows {
		lines := wrapWords(strings.Fields(r.text), width-col, width-col)
		n := runeLen(r.name)
		switch {
		case len(lines) == 0:
			b.WriteString(indent + r.name + "\n")
			continue
		case n <= nameWidth:
			b.WriteString(indent + r.name + strings.Repeat(" ", col-helpIndent-n) + lines[0] + "\n")
			lines = lines[1:]
		default:
			b.WriteString(indent + r.name + "\n")
		}
		for _, l := range lines {
			b.WriteString(pad + l + "\n")
		}
	}
}

// commandRows lists the visible commands and what they do.
func commandRows(cmds []*cli.Command) []helpRow {
	var rows []helpRow
	for _, c := range visibleCommands(cmds) {
		rows = append(rows, helpRow{strings.Join(c.Names(), ", "), c.Usage})
	}
	return rows
}

func visibleCommands(cmds []*cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

// flagRows lists the visible flags, --help last: names and placeholder
// ("-k, --limit N"), then the usage, "(repeatable)" for a flag that can
// be given several times, the default (see flagDefault) and the
// environment variables it is read from.
func flagRows(flags []cli.Flag) []helpRow {
	var rows []helpRow
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() || slices.Contains(f.Names(), "help") {
			continue
		}
		usage, placeholder := "", ""
		takesValue := false
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage, placeholder = splitPlaceholder(d.GetUsage())
			takesValue = d.TakesValue()
		}
		if placeholder == "" {
			placeholder = defaultPlaceholder(f)
		}
		name := flagNames(f)
		if takesValue {
			name += " " + placeholder
		}
		text := usage
		if s, ok := f.(cli.DocGenerationSliceFlag); ok && s.IsSliceFlag() && !strings.Contains(usage, "repeatable") {
			text += " (repeatable)"
		}
		if def := flagDefault(f, usage); def != "" {
			text += " (default: " + def + ")"
		}
		if d, ok := f.(cli.DocGenerationFlag); ok && len(d.GetEnvVars()) > 0 {
			text += " [$" + strings.Join(d.GetEnvVars(), ", $") + "]"
		}
		rows = append(rows, helpRow{name, text})
	}
	return append(rows, helpRow{"-h, --help", "show help"})
}

// flagNames is a flag's names with their dashes, short ones first:
// "-k, --limit".
func flagNames(f cli.Flag) string {
	names := slices.Clone(f.Names())
	slices.SortStableFunc(names, func(a, b string) int { return min(len(a), 2) - min(len(b), 2) })
	for i, n := range names {
		names[i] = dashed(n)
	}
	return strings.Join(names, ", ")
}

// dashed is a flag name as typed: -k, --limit.
func dashed(name string) string {
	if utf8.RuneCountInString(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// splitPlaceholder takes the placeholder out of a flag's usage: the
// first word in backquotes ("query by the clip at `VIDEO@TIME`"), shown
// after the flag's name and, without its quotes, in the usage.
func splitPlaceholder(usage string) (text, placeholder string) {
	i := strings.IndexByte(usage, '`')
	if i < 0 {
		return usage, ""
	}
	j := strings.IndexByte(usage[i+1:], '`')
	if j < 0 {
		return usage, ""
	}
	placeholder = usage[i+1 : i+1+j]
	return usage[:i] + placeholder + usage[i+1+j+1:], placeholder
}

// defaultPlaceholder names the value of a flag whose usage names none.
func defaultPlaceholder(f cli.Flag) string {
	switch f.(type) {
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag, *cli.IntSliceFlag, *cli.Int64SliceFlag:
		return "N"
	case *cli.Float64Flag, *cli.Float64SliceFlag:
		return "X"
	case *cli.DurationFlag:
		return "DURATION"
	}
	return strings.ToUpper(strings.ReplaceAll(f.Names()[0], "-", "_"))
}

// flagDefault is the default a flag's help shows: none when its usage
// already says what the default is, nor when it is the zero value (0,
// false, "", no duration), which goes without saying.
func flagDefault(f cli.Flag, usage string) string {
	d, ok := f.(cli.DocGenerationFlag)
	if !ok || !d.TakesValue() || strings.Contains(strings.ToLower(usage), "default") {
		return ""
	}
	def := d.GetDefaultText()
	switch def {
	case "", "0", "0s", `""`, "false", "[]":
		return ""
	}
	if _, err := strconv.ParseFloat(def, 64); err == nil && strings.Trim(def, "0.") == "" {
		return ""
	}
	return def
}

// writeText writes a description, indented, with every line within
// width: a paragraph of prose (lines of the same indent, without columns
// or commands) with a line too long is filled again; any other line too
// long is wrapped under its second column (two spaces or more set one
// off), or with a backslash when it is a command, or under its indent.
func writeText(b *strings.Builder, text string, indent, width int) {
	lines := strings.Split(strings.ReplaceAll(strings.TrimRight(text, "\n"), "\t", "    "), "\n")
	pad := strings.Repeat(" ", indent)
	for i := 0; i < len(lines); {
		line := strings.TrimRight(lines[i], " ")
		if line == "" {
			b.WriteString("\n")
			i++
			continue
		}
		lead := leadingSpaces(line)
		if !isProse(line) {
			// A row of columns whose text goes on under its second column
			// on the next lines is filled again as one.
			j := i + 1
			start := columnStart(line, width-indent)
			for start > 0 && j < len(lines) && strings.TrimSpace(lines[j]) != "" && leadingSpaces(lines[j]) == runeLen(line[:start]) {
				j++
			}
			if j == i+1 || !overflows(lines[i:j], width-indent) {
				for _, l := range lines[i:j] {
					for _, l := range wrapLine(strings.TrimRight(l, " "), width-indent) {
						b.WriteString(pad + l + "\n")
					}
				}
			} else {
				hang := runeLen(line[:start])
				text := strings.Fields(line[start:] + " " + strings.Join(lines[i+1:j], " "))
				for k, l := range wrapWords(text, width-indent-hang, width-indent-hang) {
					if k == 0 {
						b.WriteString(pad + line[:start] + l + "\n")
					} else {
						b.WriteString(pad + strings.Repeat(" ", hang) + l + "\n")
					}
				}
			}
			i = j
			continue
		}
		j, fits := i, true
		for ; j < len(lines); j++ {
			l := strings.TrimRight(lines[j], " ")
			if l == "" || !isProse(l) || leadingSpaces(l) != lead {
				break
			}
			fits = fits && indent+runeLen(l) <= width
		}
		if fits {
			for _, l := range lines[i:j] {
				b.WriteString(pad + strings.TrimRight(l, " ") + "\n")
			}
		} else {
			words := strings.Fields(strings.Join(lines[i:j], " "))
			head := pad + strings.Repeat(" ", lead)
			for _, l := range wrapWords(words, width-runeLen(head), width-runeLen(head)) {
				b.WriteString(head + l + "\n")
			}
		}
		i = j
	}
}

// isProse reports whether a line of a description is prose: not set out
// in columns (two spaces or more inside it) and not a command.
func isProse(line string) bool {
	t := strings.TrimSpace(line)
	return !strings.Contains(t, "  ") && !isCommandLine(t)
}

// isCommandLine reports whether a line of a description (trimmed) is a
// shell command: clipvec's, or a word and a flag (duckdb -c ...).
func isCommandLine(t string) bool {
	if strings.HasPrefix(t, "clipvec ") || strings.HasPrefix(t, "$ ") {
		return true
	}
	f := strings.Fields(t)
	return len(f) > 1 && commandWord.MatchString(f[0]) && strings.HasPrefix(f[1], "-")
}

var commandWord = regexp.MustCompile(`^[a-z][a-z0-9._-]*$`)

// shellWords splits a command into its words, a quoted string one word
// (a line break inside quotes would add the indent to the string), but
// for a quoted string longer than width, which is split at its spaces.
func shellWords(s string, width int) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		if n := len(out); n > 0 && unclosedQuote(out[n-1]) {
			out[n-1] += " " + w
		} else {
			out = append(out, w)
		}
	}
	var words []string
	for _, w := range out {
		if runeLen(w) > width {
			words = append(words, strings.Fields(w)...)
		} else {
			words = append(words, w)
		}
	}
	return words
}

// openQuote is the quote the end of s, the start of a shell command, is
// inside: ', ", or 0 when none. A backslash escapes the next character
// outside quotes and within double quotes, as in sh, but not within
// single quotes.
func openQuote(s string) rune {
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			}
		case r == '\\':
			escaped = true
		case quote == '"':
			if r == '"' {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		}
	}
	return quote
}

// unclosedQuote reports whether s, the start of a command, ends inside
// quotes.
func unclosedQuote(s string) bool { return openQuote(s) != 0 }

// commandCut is where the first line of a command too long for limit
// ends: the last space before limit that is outside quotes, else the
// last space before limit, else -1.
func commandCut(line string, lead, limit int) int {
	cut, any := -1, -1
	for i, r := range line {
		if runeLen(line[:i]) > limit {
			break
		}
		if r == ' ' && i > lead && line[i-1] != ' ' {
			any = i
			if !unclosedQuote(line[:i]) {
				cut = i
			}
		}
	}
	if cut < 0 || runeLen(line[:cut]) < (limit-lead)/2 {
		return any
	}
	return cut
}

// inSingleQuotes reports whether the end of s, a shell command, is inside
// single quotes, where a backslash does not continue a line.
func inSingleQuotes(s string) bool { return openQuote(s) == '\'' }

// wrapLine wraps one line that is not prose to width. The first line
// keeps the line's own spacing up to the last space that fits; the rest
// goes under the line's second column when it has one (two spaces or
// more set it off) that starts within two thirds of width, else under
// its indent, four further in with a backslash at each break when the
// line is a command (so that it still pastes into a shell).
func wrapLine(line string, width int) []string {
	if runeLen(line) <= width {
		return []string{line}
	}
	lead := leadingSpaces(line)
	hang, cont := lead, ""
	if start := columnStart(line, width); start > 0 {
		hang = runeLen(line[:start])
		if strings.HasPrefix(line[start:], "# ") { // a comment goes on under its text
			hang += 2
		}
	}
	if hang == lead && isCommandLine(strings.TrimSpace(line)) {
		hang, cont = lead+4, " \\"
	}
	limit := width - len(cont)
	cut := -1
	for i, r := range line {
		if runeLen(line[:i]) > limit {
			break
		}
		if r == ' ' && i > lead && runeLen(line[:i]) >= hang && line[i-1] != ' ' {
			cut = i
		}
	}
	if cont != "" {
		cut = commandCut(line, lead, limit)
	}
	var first, rest string
	if cut < 0 {
		k := byteIndexOfRune(line, limit)
		first, rest = line[:k], line[k:]
	} else {
		first, rest = line[:cut], line[cut:]
	}
	words := strings.Fields(rest)
	if cont != "" {
		words = shellWords(rest, width-hang-len(cont))
	}
	lines := []string{first}
	for _, l := range wrapWords(words, width-hang-len(cont), width-hang-len(cont)) {
		lines = append(lines, strings.Repeat(" ", hang)+l)
	}
	if cont != "" {
		// Joined back with the backslashes, the lines are the command.
		for i := range lines[:len(lines)-1] {
			if !inSingleQuotes(strings.Join(lines[:i+1], " ")) {
				lines[i] += cont
			}
		}
	}
	return lines
}

// columnStart is the byte offset of the second column of a line (text
// after two spaces or more, past the indent) when it starts within two
// thirds of width, else -1.
func columnStart(line string, width int) int {
	lead := leadingSpaces(line)
	k := strings.Index(line[lead:], "  ")
	if k <= 0 {
		return -1
	}
	start := len(line) - len(strings.TrimLeft(line[lead+k:], " "))
	if start == len(line) || runeLen(line[:start]) > 2*width/3 {
		return -1
	}
	return start
}

// overflows reports whether a line of lines is wider than width.
func overflows(lines []string, width int) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return runeLen(strings.TrimRight(l, " ")) > width })
}

// wrapWords fills lines with words, the first up to first runes, the
// others up to rest; a word longer than a line is cut.
func wrapWords(words []string, first, rest int) []string {
	first, rest = max(first, 10), max(rest, 10)
	var lines []string
	var cur strings.Builder
	limit := first
	for _, w := range words {
		for runeLen(w) > limit && cur.Len() == 0 {
			k := byteIndexOfRune(w, limit)
			lines = append(lines, w[:k])
			w, limit = w[k:], rest
		}
		switch {
		case cur.Len() == 0:
			cur.WriteString(w)
		case runeLen(cur.String())+1+runeLen(w) <= limit:
			cur.WriteString(" " + w)
		default:
			lines = append(lines, cur.String())
			cur.Reset()
			limit = rest
			for runeLen(w) > limit {
				k := byteIndexOfRune(w, limit)
				lines = append(lines, w[:k])
				w = w[k:]
			}
			cur.WriteString(w)
		}
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

func leadingSpaces(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// byteIndexOfRune is the byte offset of s's n-th rune.
func byteIndexOfRune(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// helpCommand is clipvec help [COMMAND [SUBCOMMAND]]: the help of
// clipvec, or of a command, as --help shows it.
func helpCommand(app *cli.App) *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the help of clipvec or of a command",
		ArgsUsage: "[COMMAND [SUBCOMMAND]]",
		Description: `Examples:
   clipvec help
   clipvec help search
   clipvec help index build`,
		// cli would take clipvec help --help for clipvec --help.
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			var b strings.Builder
			width := helpWidth(app.Writer)
			cmds, path := app.Commands, app.Name
			var cmd *cli.Command
			args := c.Args().Slice()
			for _, a := range args {
				switch {
				case a == "-h" || a == "--help":
					args = []string{"help"}
				case strings.HasPrefix(a, "-"):
					return flagError(c, fmt.Errorf("flag provided but not defined: -%s", strings.TrimLeft(a, "-")))
				}
			}
			for _, name := range args {
				i := slices.IndexFunc(cmds, func(c *cli.Command) bool { return c.HasName(name) && !c.Hidden })
				if i < 0 {
					return unknownCommand(path, name, cmds)
				}
				cmd, path, cmds = cmds[i], path+" "+cmds[i].Name, cmds[i].Subcommands
			}
			if cmd == nil {
				appHelp(&b, app, width)
			} else {
				commandHelp(&b, cmd, path, width)
			}
			_, err := io.WriteString(app.Writer, b.String())
			return err
		},
	}
}

// showCommands is the action of clipvec and of a command made of
// subcommands (clipvec index): without arguments it shows the help;
// with one, that is an unknown command.
func showCommands(c *cli.Context) error {
	if c.Args().Present() {
		return unknownCommand(c.Command.HelpName, c.Args().First(), c.Command.Subcommands)
	}
	if c.Command.HelpName == c.App.HelpName {
		return cli.ShowAppHelp(c)
	}
	return cli.ShowSubcommandHelp(c)
}

// helpErrorKey is where clipvec --help NAME leaves the error of an
// unknown NAME, in the App's Metadata: cli's CommandNotFound, which
// learns of it, cannot return it.
const helpErrorKey = "clipvec.helpError"

// commandNotFound is cli's CommandNotFound: clipvec --help NAME, clipvec
// index --help NAME, for a NAME that is not a command.
func commandNotFound(c *cli.Context, name string) {
	c.App.Metadata[helpErrorKey] = unknownCommand(c.Command.HelpName, name, c.Command.Subcommands)
}

// commandError is a usage error of one command, shown as "PATH: message"
// ("clipvec search: unknown flag --foo"), then a pointer to PATH --help.
type commandError struct {
	path string // "clipvec", "clipvec index build"
	err  error
}

func (e commandError) Error() string { return e.path + ": " + e.err.Error() }
func (e commandError) Unwrap() error { return usageError{e.err} }

// unknownCommand is the error of a command name that is not one of
// cmds, the subcommands of path, with the near misses among them.
func unknownCommand(path, name string, cmds []*cli.Command) error {
	var names []string
	for _, c := range visibleCommands(cmds) {
		names = append(names, c.Names()...)
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := nearMisses(name, names); len(s) > 0 {
		for i := range s {
			s[i] = strconv.Quote(s[i])
		}
		msg += "; did you mean " + orList(s) + "?"
	}
	return commandError{path, errors.New(msg)}
}

// nearMisses returns the candidates that word may be a typo of: at most
// a third of its letters off (one for a word of up to five; a letter
// missing, added, changed, or two swapped), or, for a word of three
// letters or more, the candidates it begins. None for a word of one
// letter: anything is one letter off.
func nearMisses(word string, candidates []string) []string {
	n := utf8.RuneCountInString(word)
	if n < 2 {
		return nil
	}
	limit := max(1, n/3)
	type miss struct {
		name string
		d    int
	}
	var misses []miss
	for _, c := range candidates {
		if c == word {
			continue
		}
		d := editDistance(word, c)
		if d <= limit && d < utf8.RuneCountInString(c) || n >= 3 && strings.HasPrefix(c, word) {
			misses = append(misses, miss{c, d})
		}
	}
	slices.SortStableFunc(misses, func(a, b miss) int { return a.d - b.d })
	var out []string
	for _, m := range misses {
		if !slices.Contains(out, m.name) && len(out) < 3 {
			out = append(out, m.name)
		}
	}
	return out
}

// editDistance is the optimal string alignment distance of a and b:
// letters inserted, deleted, substituted, or two adjacent swapped.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// orList joins "a", "b" and "c" as `a, b or c`.
func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// The messages of Go's flag package, which cli passes on.
var (
	flagUndefined  = regexp.MustCompile(`^flag provided but not defined: -(.+)$`)
	flagNoValue    = regexp.MustCompile(`^flag needs an argument: -(.+)$`)
	flagBadValue   = regexp.MustCompile(`^invalid value (".*") for flag -([^ :]+): (.*)$`)
	flagBadBool    = regexp.MustCompile(`^invalid boolean value (".*") for -([^ :]+): (.*)$`)
	flagTwoForms   = regexp.MustCompile(`^Cannot use two forms of the same flag: (\S+) (\S+)$`)
	flagBadBoolArg = regexp.MustCompile(`^invalid boolean flag (\S+): (.*)$`)
)

// flagError turns an error of cli's flag parsing into one that names the
// command and the flag as it is typed, with two dashes:
// "clipvec search: unknown flag --foo; did you mean --for?"
func flagError(c *cli.Context, err error) error {
	path, flags := "clipvec", []cli.Flag(nil)
	if c != nil && c.Command != nil {
		flags = c.Command.Flags
		if c.Command.HelpName != "" {
			path = c.Command.HelpName
		}
	}
	msg := err.Error()
	if m := flagUndefined.FindStringSubmatch(msg); m != nil {
		msg = "unknown flag " + dashed(m[1])
		var names []string
		for _, f := range flags {
			names = append(names, f.Names()...)
		}
		if s := nearMisses(m[1], names); len(s) > 0 {
			for i := range s {
				s[i] = dashed(s[i])
			}
			msg += "; did you mean " + orList(s) + "?"
		}
	} else if m := flagNoValue.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("flag %s needs a value", dashed(m[1]))
	} else if m := flagBadValue.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("invalid value %s for flag %s: %s", m[1], dashed(m[2]), valueWanted(flags, m[2], m[3]))
	} else if m := flagBadBool.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("invalid value %s for flag %s: want true or false", m[1], dashed(m[2]))
	} else if m := flagBadBoolArg.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("invalid value for flag %s: want true or false", dashed(m[1]))
	} else if m := flagTwoForms.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("%s and %s are the same flag: give it once", dashed(m[1]), dashed(m[2]))
	}
	return commandError{path, errors.New(msg)}
}

// valueWanted says what flag name takes, for an invalid value's message;
// reason is the flag package's ("parse error", "value out of range").
func valueWanted(flags []cli.Flag, name, reason string) string {
	if reason == "value out of range" {
		return "out of range"
	}
	i := slices.IndexFunc(flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) })
	if i < 0 {
		return reason
	}
	switch flags[i].(type) {
	case *cli.IntFlag, *cli.Int64Flag, *cli.IntSliceFlag, *cli.Int64SliceFlag:
		return "want a whole number"
	case *cli.UintFlag, *cli.Uint64Flag, *cli.UintSliceFlag, *cli.Uint64SliceFlag:
		return "want a whole number, 0 or more"
	case *cli.Float64Flag, *cli.Float64SliceFlag:
		return "want a number"
	case *cli.DurationFlag:
		return "want a duration such as 90s, 5m or 1h30m"
	}
	return reason
}

// jsonRequested reports whether args ask for JSON (--json before any
// "--"), for errors that no command's --json flag was parsed for: a
// mistyped flag or command.
func jsonRequested(args []string) bool {
	if len(args) > 0 {
		args = args[1:]
	}
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "json" {
			continue
		}
		if b, err := strconv.ParseBool(value); !hasValue || err == nil && b {
			return true
		}
	}
	return false
}

// jsonError is an error as --json prints it on stdout.
type jsonError struct {
	Error jsonErrorBody `json:"error"`
}

type jsonErrorBody struct {
	Code    string `json:"code"` // errorCode's word
	Message string `json:"message"`
	Exit    int    `json:"exit"`
}

// errorCode is the stable word for an exit code in a JSON error.
func errorCode(exit int) string {
	switch exit {
	case ExitUsage:
		return "usage"
	case ExitNotFound:
		return "not_found"
	case ExitInvalidInput:
		return "invalid_input"
	case ExitInterrupted:
		return "interrupted"
	}
	return "failure"
}

// actionError is the error of a command's action, with the command's
// path and whether it was asked for JSON (its --json flag), for Run.
type actionError struct {
	err  error
	path string
	json bool
}

func (e actionError) Error() string { return e.err.Error() }
func (e actionError) Unwrap() error { return e.err }

// reportActions makes the actions of c and its subcommands return their
// errors as actionErrors.
func reportActions(c *cli.Command) {
	if act := c.Action; act != nil {
		c.Action = func(ctx *cli.Context) error {
			err := act(ctx)
			if err == nil {
				return nil
			}
			return actionError{err: err, path: ctx.Command.HelpName, json: ctx.Bool("json")}
		}
	}
	for _, sub := range c.Subcommands {
		reportActions(sub)
	}
}

// version is set at build time with -ldflags "-X .../internal/command.version=…";
// without it the version is the module's, or devel.
var version string

// pseudoVersion matches the version Go gives a module built at a commit
// without a tag (v0.0.0-20261201150000-09ace7b1a2b3).
var pseudoVersion = regexp.MustCompile(`-(\d+\.)?\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// versionString is what --version prints after "clipvec version": the
// version (the one set at build time, else the module's version when it
// was built as a module at a version, else devel), the commit it was
// built from when the build recorded one ("-dirty" when the tree had
// changes) and its time, and the Go version and platform.
func versionString() string {
	v := version
	var rev, at string
	dirty := false
	info, ok := debug.ReadBuildInfo()
	if ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		// A pseudo-version from the checkout's commit says no more than
		// the commit does.
		if m := info.Main.Version; v == "" && m != "" && m != "(devel)" && !(rev != "" && pseudoVersion.MatchString(m)) {
			v = m
		}
	}
	if v == "" {
		v = "devel"
	}
	var commit string
	switch {
	case rev == "":
		commit = "commit unknown"
	default:
		commit = "commit " + rev[:min(len(rev), 7)]
		if dirty {
			commit += "-dirty"
		}
		if at != "" {
			commit += ", " + at
		}
	}
	return fmt.Sprintf("%s (%s; %s %s/%s)", v, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// versionCommand is clipvec version: what --version prints.
func versionCommand(app *cli.App) *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print the version, the commit it was built from and the Go version",
		ArgsUsage: " ",
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return commandError{c.Command.HelpName, fmt.Errorf("unexpected argument %q", c.Args().First())}
			}
			_, err := fmt.Fprintf(app.Writer, "%s version %s\n", app.Name, app.Version)
			return err
		},
	}
}

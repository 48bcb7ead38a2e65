package command

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionCommand is clipvec completion SHELL: a completion script for
// bash, zsh or fish, made from the app's commands. The scripts hold the
// command tree themselves and never run clipvec, so a completion costs
// the shell nothing and works whatever the database.
func completionCommand(app *cli.App) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		ArgsUsage: "SHELL",
		Description: `Prints a script that completes clipvec's commands, subcommands and flags
as you type (clipvec se<TAB>: search, serve; clipvec search --li<TAB>:
--like, --like-video, --limit), and file names where a flag or argument
names a file or directory. The script holds the commands of this clipvec:
print it again after an upgrade.

bash (version 4 or later):
   clipvec completion bash > ~/.local/share/bash-completion/completions/clipvec
   (loaded on demand by the bash-completion package), or in ~/.bashrc:
   source <(clipvec completion bash)

zsh:
   mkdir -p ~/.zfunc && clipvec completion zsh > ~/.zfunc/_clipvec
   and in ~/.zshrc, before compinit runs: fpath=(~/.zfunc $fpath)
   (or, after compinit: source <(clipvec completion zsh))

fish:
   clipvec completion fish > ~/.config/fish/completions/clipvec.fish

Open a new shell (or source the file) for it to take effect.`,
		Action: func(c *cli.Context) error {
			path := c.Command.HelpName
			if c.NArg() != 1 {
				return commandError{path, fmt.Errorf("give one shell: bash, zsh or fish")}
			}
			nodes := completionTree(app)
			var script string
			switch shell := c.Args().First(); shell {
			case "bash":
				script = bashCompletion(nodes)
			case "zsh":
				script = zshCompletion(nodes)
			case "fish":
				script = fishCompletion(nodes)
			default:
				return commandError{path, fmt.Errorf("unknown shell %q: want bash, zsh or fish", shell)}
			}
			_, err := io.WriteString(app.Writer, script)
			return err
		},
	}
}

// compNode is a command as the completion scripts see it.
type compNode struct {
	path     string // "" for clipvec itself, "index build" for a subcommand
	commands []compWord
	flags    []compFlag
	args     string   // what the arguments are: "files", "dirs", or "" (nothing to complete)
	argWords []string // or these words (clipvec completion SHELL)
}

type compWord struct{ name, desc string }

// compFlag is a flag: its names as typed (-k, --limit), a description,
// and what its value is: "" (it takes none), "value", "file" or "dir".
type compFlag struct {
	names []string
	desc  string
	value string
}

// completionTree lists clipvec and its commands, parents first.
func completionTree(app *cli.App) []compNode {
	root := compNode{flags: compFlags(app.Flags)}
	for _, c := range visibleCommands(app.Commands) {
		root.commands = append(root.commands, compWord{c.Name, shortDesc(c.Usage)})
	}
	nodes := []compNode{root}
	var walk func(path string, c *cli.Command)
	walk = func(path string, c *cli.Command) {
		n := compNode{path: path, flags: compFlags(c.Flags), args: valueKind(c.ArgsUsage)}
		if n.args == "value" {
			n.args = ""
		}
		if c.Name == "completion" && path == "completion" {
			n.argWords = []string{"bash", "zsh", "fish"}
		}
		subs := visibleCommands(c.Subcommands)
		for _, s := range subs {
			n.commands = append(n.commands, compWord{s.Name, shortDesc(s.Usage)})
		}
		nodes = append(nodes, n)
		for _, s := range subs {
			walk(path+" "+s.Name, s)
		}
	}
	for _, c := range visibleCommands(app.Commands) {
		walk(c.Name, c)
	}
	return nodes
}

// compFlags lists the visible flags, and --help.
func compFlags(flags []cli.Flag) []compFlag {
	var out []compFlag
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() || slices.Contains(f.Names(), "help") {
			continue
		}
		cf := compFlag{}
		for _, n := range f.Names() {
			cf.names = append(cf.names, dashed(n))
		}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage, placeholder := splitPlaceholder(d.GetUsage())
			cf.desc = shortDesc(usage)
			if d.TakesValue() {
				cf.value = cmp.Or(valueKind(placeholder), "value")
			}
		}
		out = append(out, cf)
	}
	return append(out, compFlag{names: []string{"--help", "-h"}, desc: "show help"})
}

// valueKind says what a placeholder (FILE, DIR, PATH..., MODEL) stands for:
// "file", "dir", "value", or "" when there is none.
func valueKind(placeholder string) string {
	p := strings.ToUpper(strings.TrimSpace(placeholder))
	switch {
	case p == "":
		return ""
	case strings.Contains(p, "DIR"):
		return "dir"
	case strings.Contains(p, "FILE"), strings.Contains(p, "PATH"):
		return "file"
	}
	return "value"
}

// shortDesc is a usage shortened for a completion menu: one line, at most
// 70 characters, cut at a word.
func shortDesc(usage string) string {
	s := strings.Join(strings.Fields(usage), " ")
	if runeLen(s) <= 70 {
		return s
	}
	lines := wrapWords(strings.Fields(s), 67, 67)
	return strings.TrimRight(lines[0], ",;:") + "..."
}

// words returns the names of ws.
func words(ws []compWord) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.name
	}
	return out
}

// flagNamesWith returns the names of the flags whose value is kind ("any"
// for every flag taking a value).
func flagNamesWith(flags []compFlag, kind string) []string {
	var out []string
	for _, f := range flags {
		if kind == "all" || f.value == kind || kind == "any" && f.value != "" {
			out = append(out, f.names...)
		}
	}
	return out
}

// shQuote single-quotes s for bash and zsh: a quote in s is closed, escaped
// and reopened.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes s for fish, in whose single quotes \ and ' are escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// bashCompletion is the bash script. _clipvec walks the words before the
// cursor to find the command (skipping flags and their values), then
// offers that command's subcommands, its flags (after a dash), or what
// the flag before the cursor or the command's arguments take.
func bashCompletion(nodes []compNode) string {
	var b strings.Builder
	b.WriteString(`# bash completion for clipvec, printed by "clipvec completion bash".
# Install: see "clipvec completion --help".

# _clipvec_words PATH KIND sets REPLY to the words of the command PATH
# ("" is clipvec itself, "index build" a subcommand) of a KIND: commands,
# flags, value-flags (those taking a value), file-flags, dir-flags, or
# args (@files, @dirs, or the words its arguments can be).
_clipvec_words() {
    case "$1:$2" in
`)
	for _, n := range nodes {
		kinds := [][2]string{
			{"commands", strings.Join(words(n.commands), " ")},
			{"flags", strings.Join(flagNamesWith(n.flags, "all"), " ")},
			{"value-flags", strings.Join(flagNamesWith(n.flags, "any"), " ")},
			{"file-flags", strings.Join(flagNamesWith(n.flags, "file"), " ")},
			{"dir-flags", strings.Join(flagNamesWith(n.flags, "dir"), " ")},
			{"args", argsWord(n)},
		}
		for _, k := range kinds {
			if k[1] != "" {
				fmt.Fprintf(&b, "    %s) REPLY=%s ;;\n", shQuote(n.path+":"+k[0]), shQuote(k[1]))
			}
		}
	}
	b.WriteString(`    *) REPLY='' ;;
    esac
}

# _clipvec_has WORD: whether WORD is one of REPLY's words.
_clipvec_has() {
    [[ " $REPLY " == *" $1 "* ]]
}

# _clipvec_files f|d: complete the current word as a file (or directory).
_clipvec_files() {
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -"$1" -- "$cur"))
}

_clipvec() {
    local cur=${COMP_WORDS[COMP_CWORD]} path= help= expect= flag= word i REPLY
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ -n $expect ]]; then
            # The value of the flag before; "--db=FILE" comes as --db, =, FILE.
            [[ $word == = ]] || expect=
            continue
        fi
        case $word in
        --) return 0 ;;
        -*=*) continue ;;
        -*)
            _clipvec_words "$path" value-flags
            _clipvec_has "$word" && expect=1
            continue
            ;;
        esac
        if [[ -z $path && -z $help && $word == help ]]; then
            help=1
            continue
        fi
        _clipvec_words "$path" commands
        _clipvec_has "$word" && path=${path:+$path }$word
    done
    if [[ -n $expect ]]; then
        flag=${COMP_WORDS[COMP_CWORD-1]}
        [[ $flag == = ]] && flag=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ $cur == = && ${COMP_WORDS[COMP_CWORD-1]} == -* ]]; then
        flag=${COMP_WORDS[COMP_CWORD-1]}
    fi
    if [[ -n $flag ]]; then
        [[ $cur == = ]] && cur=
        _clipvec_words "$path" file-flags
        if _clipvec_has "$flag"; then _clipvec_files f; return 0; fi
        _clipvec_words "$path" dir-flags
        if _clipvec_has "$flag"; then _clipvec_files d; fi
        return 0
    fi
    if [[ -n $help ]]; then
        _clipvec_words "$path" commands
        COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
        return 0
    fi
    if [[ $cur == -* ]]; then
        _clipvec_words "$path" flags
        COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
        return 0
    fi
    _clipvec_words "$path" commands
    if [[ -n $REPLY ]]; then
        COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
        return 0
    fi
    _clipvec_words "$path" args
    case $REPLY in
    @files) _clipvec_files f ;;
    @dirs) _clipvec_files d ;;
    ?*) COMPREPLY=($(compgen -W "$REPLY" -- "$cur")) ;;
    esac
    return 0
}

complete -F _clipvec clipvec
`)
	return b.String()
}

// argsWord is what a command's arguments are, for the scripts: @files,
// @dirs, or the words they can be.
func argsWord(n compNode) string {
	switch {
	case len(n.argWords) > 0:
		return strings.Join(n.argWords, " ")
	case n.args == "file":
		return "@files"
	case n.args == "dir":
		return "@dirs"
	}
	return ""
}

// zshCompletion is the zsh script: the bash script's walk, with
// descriptions for commands and flags. It works autoloaded from $fpath
// (as _clipvec) and sourced after compinit.
func zshCompletion(nodes []compNode) string {
	var b strings.Builder
	b.WriteString(`#compdef clipvec
# zsh completion for clipvec, printed by "clipvec completion zsh".
# Install: see "clipvec completion --help".

# _clipvec_words PATH KIND sets reply to the words of the command PATH
# ("" is clipvec itself, "index build" a subcommand) of a KIND: commands
# and flags (NAME:DESCRIPTION), value-flags (those taking a value),
# file-flags, dir-flags, or args (@files, @dirs, or the words its
# arguments can be).
_clipvec_words() {
    case "$1:$2" in
`)
	for _, n := range nodes {
		var cmds, flags []string
		for _, c := range n.commands {
			cmds = append(cmds, shQuote(c.name+":"+c.desc))
		}
		for _, f := range n.flags {
			for _, name := range f.names {
				flags = append(flags, shQuote(name+":"+f.desc))
			}
		}
		kinds := [][2]string{
			{"commands", strings.Join(cmds, " ")},
			{"flags", strings.Join(flags, " ")},
			{"value-flags", strings.Join(flagNamesWith(n.flags, "any"), " ")},
			{"file-flags", strings.Join(flagNamesWith(n.flags, "file"), " ")},
			{"dir-flags", strings.Join(flagNamesWith(n.flags, "dir"), " ")},
			{"args", argsWord(n)},
		}
		for _, k := range kinds {
			if k[1] != "" {
				fmt.Fprintf(&b, "    (%s) reply=(%s) ;;\n", shQuote(n.path+":"+k[0]), k[1])
			}
		}
	}
	b.WriteString(`    (*) reply=() ;;
    esac
}

_clipvec() {
    local cmdpath= help= expect= flag= word i cur=${words[CURRENT]}
    local -a reply names cands
    for (( i = 2; i < CURRENT; i++ )); do
        word=${words[i]}
        if [[ -n $expect ]]; then
            expect=
            continue
        fi
        case $word in
        (--) return 1 ;;
        (-*=*) continue ;;
        (-*)
            _clipvec_words "$cmdpath" value-flags
            (( ${reply[(Ie)$word]} )) && expect=1
            continue
            ;;
        esac
        if [[ -z $cmdpath && -z $help && $word == help ]]; then
            help=1
            continue
        fi
        _clipvec_words "$cmdpath" commands
        names=(${reply%%:*})
        (( ${names[(Ie)$word]} )) && cmdpath=${cmdpath:+$cmdpath }$word
    done
    if [[ -n $expect ]]; then
        flag=${words[CURRENT-1]}
    elif [[ $cur == -*=* ]]; then
        flag=${cur%%=*}
        compset -P '*='
    fi
    if [[ -n $flag ]]; then
        _clipvec_words "$cmdpath" file-flags
        if (( ${reply[(Ie)$flag]} )); then
            _files
            return
        fi
        _clipvec_words "$cmdpath" dir-flags
        if (( ${reply[(Ie)$flag]} )); then
            _files -/
            return
        fi
        _message -e values 'value'
        return
    fi
    if [[ -n $help ]]; then
        _clipvec_words "$cmdpath" commands
        cands=("${reply[@]}")
        _describe -t commands 'clipvec command' cands
        return
    fi
    if [[ $cur == -* ]]; then
        _clipvec_words "$cmdpath" flags
        cands=("${reply[@]}")
        _describe -t options 'option' cands
        return
    fi
    _clipvec_words "$cmdpath" commands
    if (( ${#reply} )); then
        cands=("${reply[@]}")
        _describe -t commands 'clipvec command' cands
        return
    fi
    _clipvec_words "$cmdpath" args
    case ${reply[1]} in
    (@files) _files ;;
    (@dirs) _files -/ ;;
    (?*) compadd -- "${reply[@]}" ;;
    esac
}

if [[ $funcstack[1] == _clipvec ]]; then
    # Autoloaded from $fpath: this file is the body of _clipvec.
    _clipvec "$@"
else
    compdef _clipvec clipvec
fi
`)
	return b.String()
}

// fishCompletion is the fish script: a function finds the command on the
// command line (as the bash script does), and each completion is
// conditioned on it.
func fishCompletion(nodes []compNode) string {
	var b strings.Builder
	b.WriteString(`# fish completion for clipvec, printed by "clipvec completion fish".
# Install: see "clipvec completion --help".

# __clipvec_words PATH KIND prints the words of the command PATH ("" is
# clipvec itself, "index build" a subcommand) of a KIND: commands or
# value-flags (the flags taking a value), one a line.
function __clipvec_words --argument-names cmdpath kind
    switch "$cmdpath:$kind"
`)
	for _, n := range nodes {
		if len(n.commands) > 0 {
			fmt.Fprintf(&b, "        case %s\n            string join -- \\n %s\n", fishQuote(n.path+":commands"), strings.Join(words(n.commands), " "))
		}
		if vf := flagNamesWith(n.flags, "any"); len(vf) > 0 {
			fmt.Fprintf(&b, "        case %s\n            string join -- \\n %s\n", fishQuote(n.path+":value-flags"), strings.Join(vf, " "))
		}
	}
	b.WriteString(`    end
end

# __clipvec_path prints the command on the command line before the
# cursor: "" for clipvec itself, "index build", or "help:index" after
# clipvec help.
function __clipvec_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmdpath
    set -l expect 0
    set -l help 0
    for t in $tokens
        if test $expect = 1
            set expect 0
            continue
        end
        switch $t
            case '--'
                break
            case '-*=*'
                continue
            case '-*'
                if contains -- $t (__clipvec_words "$cmdpath" value-flags)
                    set expect 1
                end
                continue
        end
        if test -z "$cmdpath"; and test $help = 0; and test "$t" = help
            set help 1
            continue
        end
        if contains -- $t (__clipvec_words "$cmdpath" commands)
            set -a cmdpath $t
        end
    end
    set -l p (string join ' ' -- $cmdpath)
    if test $help = 1
        echo "help:$p"
    else
        echo "$p"
    end
end

# __clipvec_at PATH: whether the command on the command line is PATH
# (found once per command line, not once per completion).
function __clipvec_at
    set -l line (commandline -pc)
    if test "$line" != "$__clipvec_line"
        set -g __clipvec_line $line
        set -g __clipvec_where (__clipvec_path)
    end
    test "$__clipvec_where" = "$argv[1]"
end

complete -c clipvec -f
`)
	for _, n := range nodes {
		at := fishQuote("__clipvec_at " + fishQuote(n.path))
		for _, c := range n.commands {
			fmt.Fprintf(&b, "complete -c clipvec -n %s -a %s -d %s\n", at, c.name, fishQuote(c.desc))
		}
		for _, f := range n.flags {
			var opts []string
			for _, name := range f.names {
				if strings.HasPrefix(name, "--") {
					opts = append(opts, "-l "+strings.TrimPrefix(name, "--"))
				} else {
					opts = append(opts, "-s "+strings.TrimPrefix(name, "-"))
				}
			}
			switch f.value {
			case "file":
				opts = append(opts, "-r -F")
			case "dir":
				opts = append(opts, "-x -a '(__fish_complete_directories)'")
			case "value":
				opts = append(opts, "-x")
			}
			fmt.Fprintf(&b, "complete -c clipvec -n %s %s -d %s\n", at, strings.Join(opts, " "), fishQuote(f.desc))
		}
		switch {
		case len(n.argWords) > 0:
			fmt.Fprintf(&b, "complete -c clipvec -n %s -a %s\n", at, fishQuote(strings.Join(n.argWords, " ")))
		case n.args == "file":
			fmt.Fprintf(&b, "complete -c clipvec -n %s -F\n", at)
		case n.args == "dir":
			fmt.Fprintf(&b, "complete -c clipvec -n %s -a '(__fish_complete_directories)'\n", at)
		}
		if len(n.commands) > 0 {
			help := fishQuote("__clipvec_at " + fishQuote("help:"+n.path))
			fmt.Fprintf(&b, "complete -c clipvec -n %s -a %s\n", help, fishQuote(strings.Join(words(n.commands), " ")))
		}
	}
	return b.String()
}

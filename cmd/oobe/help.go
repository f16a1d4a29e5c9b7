package main

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// fang draws a command's help as two columns, the commands' and flags' names and their
// descriptions, and wraps neither description: a long one runs past the terminal's edge,
// where the terminal breaks it mid-word. fitHelp wraps them, at word boundaries, to the width
// fang draws at, before a help request is rendered. Only help requests are rewritten: a
// command's Short is also a shell completion's description, which must stay one line.

// Fang's layout, from its help.go (charm.land/fang/v2 v2.0.1).
const (
	helpIndent   = 4  // longPad: the names' left padding
	helpMinSpace = 10 // minSpace: the names' column at its narrowest
	helpGap      = 2  // spaceBetween: between a name and its description
	helpMaxWidth = 120
	// helpMinText is the narrowest a description is wrapped to, however long the names.
	helpMinText = 24
)

// helpWidth is the width fang renders help at: the terminal's, at most 120; 120 when stdout
// is not a terminal; or fang's own test setting.
func helpWidth() int {
	if s := os.Getenv("__FANG_TEST_WIDTH"); s != "" {
		if w, err := strconv.Atoi(s); err == nil && w > 0 {
			return w
		}
	}
	w, _, err := term.GetSize(os.Stdout.Fd())
	if err != nil || w <= 0 {
		return helpMaxWidth
	}
	return min(w, helpMaxWidth)
}

// wantsHelp reports whether args ask for a command's help: -h, --help or the help command.
func wantsHelp(args []string) bool {
	if len(args) > 0 && args[0] == "help" {
		return true
	}
	return slices.Contains(args, "-h") || slices.Contains(args, "--help")
}

// fitHelp wraps every command's Short and every flag's usage so that fang's two columns fit
// width, for each command's own help page.
func fitHelp(root *cobra.Command, width int) {
	// cobra adds these when it runs; they are listed too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	// So is every command's --help, which gives each a [--flags].
	var initHelp func(c *cobra.Command)
	initHelp = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		for _, sc := range c.Commands() {
			initHelp(sc)
		}
	}
	initHelp(root)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		var keys []int
		var subs []*cobra.Command
		for _, sc := range c.Commands() {
			if !sc.Hidden {
				subs = append(subs, sc)
				keys = append(keys, ansi.StringWidth(usageKey(sc)))
			}
		}
		var flags []*pflag.Flag
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				flags = append(flags, f)
				keys = append(keys, ansi.StringWidth(flagKey(f)))
			}
		})
		space := helpMinSpace
		for _, k := range keys {
			space = max(space, k+helpGap)
		}
		text := max(helpMinText, width-helpIndent-space)
		for _, sc := range subs {
			sc.Short = wrapWords(sc.Short, text)
		}
		for _, f := range flags {
			def := 0
			if shownDefault(f) {
				def = ansi.StringWidth(" (" + f.DefValue + ")")
			}
			f.Usage = wrapWords(f.Usage, max(helpMinText, text-def))
		}
		c.Example = wrapExample(c.Example, width-helpExampleMargin)
		c.Long = reflow(c.Long, width-helpLongMargin)
		for _, sc := range subs {
			walk(sc)
		}
	}
	walk(root)
}

// helpLongMargin is what fang's description takes of the width: its left padding, and a
// column to spare.
const helpLongMargin = 3

// reflow rewraps a Long description's paragraphs to width: a paragraph of plain lines is
// joined and wrapped again; one with indented or list lines keeps its lines, each wrapped
// alone. Fang would otherwise wrap a line a little too long, leaving one word on a line.
func reflow(long string, width int) string {
	paras := strings.Split(long, "\n\n")
	for i, p := range paras {
		lines := strings.Split(p, "\n")
		plain := !slices.ContainsFunc(lines, func(l string) bool {
			return l == "" || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "* ") || strings.HasPrefix(l, "oobe ")
		})
		if plain {
			paras[i] = wrapWords(strings.Join(lines, " "), width)
			continue
		}
		for j, l := range lines {
			if ansi.StringWidth(l) > width {
				lines[j] = wrapWords(l, width)
			}
		}
		paras[i] = strings.Join(lines, "\n")
	}
	return strings.Join(paras, "\n\n")
}

// helpExampleMargin is what fang's examples block takes of the width: its indent and
// padding. A longer example line is cut with "…".
const helpExampleMargin = 8

// wrapExample wraps an Example's lines to width: a comment onto more "# " lines, a command
// line at its spaces with a " \" continuation, which fang indents.
func wrapExample(ex string, width int) string {
	var out []string
	for _, line := range strings.Split(ex, "\n") {
		switch {
		case ansi.StringWidth(line) <= width:
			out = append(out, line)
		case strings.HasPrefix(line, "# "):
			for _, l := range strings.Split(wrapWords(strings.TrimPrefix(line, "# "), width-2), "\n") {
				out = append(out, "# "+l)
			}
		default:
			// Continuations are indented by two: leave room for that and the " \".
			parts := strings.Split(wrapWords(line, width-4), "\n")
			for i, p := range parts {
				if i < len(parts)-1 {
					p += " \\"
				}
				out = append(out, p)
			}
		}
	}
	return strings.Join(out, "\n")
}

// shownDefault is whether fang shows the flag's default after its usage.
func shownDefault(f *pflag.Flag) bool {
	return f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]"
}

// flagKey is a flag's name as fang lists it.
func flagKey(f *pflag.Flag) string {
	if f.Shorthand == "" {
		return "--" + f.Name
	}
	return "-" + f.Shorthand + " --" + f.Name
}

var otherArgsRE = regexp.MustCompile(`(\[.*\])`)

// usageKey is a subcommand's entry in its parent's command list, as fang's styleUsage
// writes it without styles.
func usageKey(c *cobra.Command) string {
	u := c.Use
	hasArgs := strings.Contains(u, "[args]")
	hasFlags := strings.Contains(u, "[flags]") || strings.Contains(u, "[--flags]") || c.HasFlags() || c.HasPersistentFlags() || c.HasAvailableFlags()
	hasCommands := strings.Contains(u, "[command]") || c.HasAvailableSubCommands()
	for _, k := range []string{"[args]", "[flags]", "[--flags]", "[command]"} {
		u = strings.ReplaceAll(u, k, "")
	}
	others := otherArgsRE.FindAllString(u, -1)
	for _, a := range others {
		u = strings.ReplaceAll(u, a, "")
	}
	out := strings.TrimSpace(u)
	if hasCommands {
		out += " [command]"
	}
	if hasArgs {
		out += " [args]"
	}
	for _, a := range others {
		out += " " + a
	}
	if hasFlags {
		out += " [--flags]"
	}
	return out
}

// wrapWords wraps each line of s at its spaces to width; a word longer than width keeps its
// own line whole. Hyphens do not break: a flag's name in a description stays in one piece.
func wrapWords(s string, width int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		cur := ""
		for _, w := range strings.Fields(line) {
			switch {
			case cur == "":
				cur = w
			case ansi.StringWidth(cur)+1+ansi.StringWidth(w) <= width:
				cur += " " + w
			default:
				out = append(out, cur)
				cur = w
			}
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}

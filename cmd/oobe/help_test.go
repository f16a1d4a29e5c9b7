package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpPages lists every visible command's path under root, root's own ("") first.
func helpPages(root *cobra.Command) [][]string {
	pages := [][]string{{}}
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sc := range c.Commands() {
			if sc.Hidden {
				continue
			}
			p := append(append([]string{}, path...), sc.Name())
			pages = append(pages, p)
			walk(sc, p)
		}
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	walk(root, nil)
	return pages
}

// words are the lower-cased words of s, without the punctuation a wrap may leave beside them.
func words(s string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(s)) {
		if w = strings.Trim(w, `\`); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func TestEveryHelpPageFitsEightyColumnsWithoutBreakingAWord(t *testing.T) {
	bin, _ := buildOobe(t)
	root := newRoot(streams{})
	for _, path := range helpPages(root) {
		name := "oobe " + strings.Join(path, " ")
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) {
			run := exec.Command(bin, append(append([]string{}, path...), "--help")...)
			run.Env = append(os.Environ(), "__FANG_TEST_WIDTH=80", "NO_COLOR=1", "HOME="+t.TempDir())
			out, err := run.Output()
			if err != nil {
				t.Fatalf("%s --help: %v\n%s", name, err, out)
			}
			text := ansi.Strip(string(out))
			for i, line := range strings.Split(text, "\n") {
				if w := ansi.StringWidth(line); w > 80 {
					t.Errorf("line %d is %d columns wide:\n%s", i+1, w, line)
				}
				if strings.Contains(line, "…") && !strings.Contains(cmd.Long+cmd.Example+cmd.Short+usages(cmd), "…") {
					t.Errorf("line %d is cut short:\n%s", i+1, line)
				}
			}
			have := map[string]bool{}
			for _, w := range words(text) {
				have[w] = true
			}
			// Every word of what the page says is there whole: none broken across lines.
			check := func(what, s string) {
				for _, w := range words(s) {
					if !have[w] {
						t.Errorf("%s: the word %q is not whole on the page:\n%s", what, w, text)
						return
					}
				}
			}
			check("the description", cmd.Long)
			check("the examples", cmd.Example)
			for _, sc := range cmd.Commands() {
				if !sc.Hidden {
					check(sc.Name()+"'s summary", sc.Short)
				}
			}
			cmd.Flags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden {
					check("--"+f.Name, f.Usage)
				}
			})
		})
	}
}

// usages joins a command's flag usages.
func usages(c *cobra.Command) string {
	var b strings.Builder
	c.Flags().VisitAll(func(f *pflag.Flag) { b.WriteString(f.Usage + "\n") })
	return b.String()
}

package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/oobe-dev/oobe"

// layers is README.md's layout, top to bottom: a package may import only packages in a layer
// below its own. Packages of one layer do not import each other.
var layers = [][]string{
	{"cmd/oobe"},
	{"replay"},
	{"sim"},
	{"oobe/tui", "oobe/tui/accessible"},
	{"oobe/tui/recording", "oobe/live"},
	{"oobe"},
	{"auth", "restore/apply"},
	{"restore/graph", "restore/device", "restore"},
	{"restore/profile"},
	{"tenant"},
	{"backup", "localca"},
	{"internal/devicelogin", "internal/signinpage"}, // clients of the tenant's sign-in pages
	{"clock", "internal/*", "fixtures"},
	{"internal/printable"},
}

// tenantImporters are the only packages whose code (tests aside) may import tenant: the world
// builder, and the CLI for `oobe serve`.
var tenantImporters = []string{"sim", "cmd/oobe"}

type pkg struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	statSources(t)
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "list", "-json=ImportPath,Imports", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		var own []string
		for _, imp := range p.Imports {
			if rest, ok := strings.CutPrefix(imp, module+"/"); ok {
				own = append(own, rest)
			}
		}
		p.Imports = own
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; is the test run from its own directory?", len(pkgs))
	}
	return pkgs
}

// statSources looks at every Go file of the module, so that go test's cache, which tracks the
// files a test reads but not what go list reads in its own process, runs this test again when
// an import changes instead of answering from a stale result.
func statSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "../..":
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(path, ".go"):
			_, err := os.Stat(path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// layerOf returns the layer index of a package (0 is the top), or -1 when no layer names it.
// A layer that names the package wins over one whose wildcard covers it.
func layerOf(path string) int {
	for i, layer := range layers {
		if slices.Contains(layer, path) {
			return i
		}
	}
	for i, layer := range layers {
		for _, name := range layer {
			if strings.HasSuffix(name, "/*") && strings.HasPrefix(path, strings.TrimSuffix(name, "*")) {
				return i
			}
		}
	}
	return -1
}

func TestEveryImportPointsDown(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.ImportPath == "internal/layout" {
			continue
		}
		from := layerOf(p.ImportPath)
		if from < 0 {
			t.Errorf("package %s is in no layer: add it to README.md's layout and to layers here", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			to := layerOf(imp)
			if to <= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point down the layout", p.ImportPath, from, imp, to)
			}
		}
	}
}

func TestOnlyTheWorldBuilderAndTheCLIStartTheTenant(t *testing.T) {
	for _, p := range listPackages(t) {
		if slices.Contains(p.Imports, "tenant") && !slices.Contains(tenantImporters, p.ImportPath) {
			t.Errorf("%s imports tenant: only %s may (the rest reach the simulated cloud over HTTP, through sim)", p.ImportPath, strings.Join(tenantImporters, " and "))
		}
	}
}

// TestTopFoldersImportEachOtherOneWay collapses packages to their top folder (restore/device
// is restore) and looks for a circle between folders, such as device/ importing restore/
// while restore/apply imported device/.
func TestTopFoldersImportEachOtherOneWay(t *testing.T) {
	edges := map[string]map[string]bool{}
	top := func(p string) string { f, _, _ := strings.Cut(p, "/"); return f }
	for _, p := range listPackages(t) {
		from := top(p.ImportPath)
		for _, imp := range p.Imports {
			if to := top(imp); to != from {
				if edges[from] == nil {
					edges[from] = map[string]bool{}
				}
				edges[from][to] = true
			}
		}
	}
	if cycle := findCycle(edges); cycle != nil {
		t.Errorf("the top folders import each other in a circle: %s", strings.Join(cycle, " -> "))
	}
}

// findCycle returns one circle in the graph, or nil.
func findCycle(edges map[string]map[string]bool) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = onPath
		path = append(path, n)
		var next []string
		for m := range edges[n] {
			next = append(next, m)
		}
		slices.Sort(next)
		for _, m := range next {
			switch state[m] {
			case onPath:
				i := slices.Index(path, m)
				return append(slices.Clone(path[i:]), m)
			case unseen:
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	var nodes []string
	for n := range edges {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

func TestFindCycleFindsACircle(t *testing.T) {
	g := map[string]map[string]bool{"device": {"restore": true}, "restore": {"device": true}, "oobe": {"restore": true}}
	if c := findCycle(g); fmt.Sprint(c) != "[device restore device]" {
		t.Errorf("findCycle = %v, want [device restore device]", c)
	}
	delete(g["restore"], "device")
	if c := findCycle(g); c != nil {
		t.Errorf("findCycle = %v on a graph without one", c)
	}
}

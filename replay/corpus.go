package replay

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oobe-dev/oobe/internal/inputfile"
)

// Load reads the scenarios at paths: files, or directories searched (with their
// subdirectories) for *.yaml and *.yml files. A scenario's Rel is its path relative to the
// directory it was found under, or its base name when named as a file, with forward slashes:
// the same corpus gives the same Rels wherever it is checked out, so shards agree across
// machines. The scenarios come sorted by File. Every broken file is reported (joined *Error
// values); so is a name two files share.
func Load(paths ...string) ([]*Scenario, error) {
	var out []*Scenario
	err := load(paths, func(sc *Scenario) { out = append(out, sc) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Entry is a scenario file of a corpus as Scan found it: where it is and the scenario's name.
// The scenario itself is parsed again when it runs (Entry.Scenario).
type Entry struct {
	File, Rel, Name string
}

// Scan reads and checks the scenarios at paths as Load does, with the same errors, but keeps
// only an Entry of each: a corpus of any size costs a few hundred bytes a scenario, not the
// parsed scenarios (a few KiB each), until it runs.
func Scan(paths ...string) ([]Entry, error) {
	var out []Entry
	err := load(paths, func(sc *Scenario) { out = append(out, Entry{File: sc.File, Rel: sc.Rel, Name: sc.Name}) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Scenario reads and parses the entry's file again. A file changed since Scan so that it no
// longer parses, or names another scenario, is an error.
func (e Entry) Scenario() (*Scenario, error) {
	data, err := readScenarioFile(e.File)
	if err != nil {
		return nil, &Error{File: e.File, Msg: err.Error()}
	}
	sc, err := Parse(e.File, data)
	if err != nil {
		return nil, err
	}
	if sc.Name != e.Name {
		return nil, &Error{File: e.File, Line: 1, Msg: fmt.Sprintf("the file changed during the run: it names %q, not %q", sc.Name, e.Name)}
	}
	sc.Rel = e.Rel
	return sc, nil
}

// readScenarioFile reads one scenario file: a regular file of at most MaxScenarioBytes
// (`oobe replay /dev/zero` is refused at once instead of filling memory).
func readScenarioFile(path string) ([]byte, error) {
	data, err := inputfile.Read(path, MaxScenarioBytes)
	var pe *fs.PathError
	var tl *inputfile.TooLargeError
	if errors.As(err, &tl) {
		return nil, fmt.Errorf("larger than %d bytes: not a scenario", MaxScenarioBytes) // as Parse says
	}
	if errors.As(err, &pe) {
		return nil, pe.Err // the Error carries the file's name already
	}
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), path+": "))
	}
	return data, nil
}

// load finds the scenario files at paths, parses each in the order of their paths and hands
// the good ones to keep; it reports every broken file and every name two files share.
func load(paths []string, keep func(*Scenario)) error {
	files, err := scenarioFiles(paths)
	if err != nil {
		return err
	}
	var errs []error
	names := map[string]string{}
	for _, f := range files {
		data, err := readScenarioFile(f.file)
		if err != nil {
			errs = append(errs, &Error{File: f.file, Msg: err.Error()})
			continue
		}
		sc, err := Parse(f.file, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc.Rel = f.rel
		if prev, dup := names[sc.Name]; dup {
			errs = append(errs, &Error{File: f.file, Line: 1, Msg: fmt.Sprintf("name %q is already the name of %s: give each scenario its own name", sc.Name, prev)})
			continue
		}
		names[sc.Name] = f.file
		keep(sc)
	}
	return errors.Join(errs...)
}

// foundFile is a scenario file found under the paths given, with its Rel.
type foundFile struct{ file, rel string }

// scenarioFiles lists the *.yaml and *.yml files at paths (files, or directories searched
// without their hidden subdirectories), each once, sorted by path.
func scenarioFiles(paths []string) ([]foundFile, error) {
	if len(paths) == 0 {
		return nil, errors.New("no scenario files or directories given")
	}
	var files []foundFile
	seen := map[string]bool{}
	add := func(file, rel string) {
		abs, err := filepath.Abs(file)
		if err != nil {
			abs = file
		}
		if !seen[abs] {
			seen[abs] = true
			files = append(files, foundFile{filepath.ToSlash(file), filepath.ToSlash(rel)})
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("reading scenarios: %w", err)
		}
		if !info.IsDir() {
			add(p, filepath.Base(p))
			continue
		}
		err = filepath.WalkDir(p, func(file string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if file != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := filepath.Ext(file); ext == ".yaml" || ext == ".yml" {
				rel, err := filepath.Rel(p, file)
				if err != nil {
					return err
				}
				add(file, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading scenarios under %s: %w", p, err)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no scenario files (*.yaml, *.yml) in %s", strings.Join(paths, ", "))
	}
	slices.SortFunc(files, func(a, b foundFile) int { return strings.Compare(a.file, b.file) })
	return files, nil
}

// Shard is one of Count disjoint parts of a corpus, numbered from 0 like a Kubernetes Indexed
// Job's JOB_COMPLETION_INDEX. The zero Shard (Count 0) is the whole corpus.
type Shard struct {
	Index, Count int
}

var shardRE = regexp.MustCompile(`^(\d+)/(\d+)$`)

// ParseShard reads I/N: shard I (0 to N-1) of N.
func ParseShard(s string) (Shard, error) {
	m := shardRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Shard{}, fmt.Errorf("shard %q: want I/N, like 0/4 (shards are numbered from 0 to N-1)", s)
	}
	i, err1 := strconv.Atoi(m[1])
	n, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil || n < 1 || n > 100000 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want I/N with N from 1 to 100000 and I from 0 to N-1", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// ShardFromEnv reads a Kubernetes Indexed Job's JOB_COMPLETION_INDEX and JOB_COMPLETIONS
// (getenv is os.Getenv); ok is false when JOB_COMPLETION_INDEX is not set.
func ShardFromEnv(getenv func(string) string) (s Shard, ok bool, err error) {
	idx := getenv("JOB_COMPLETION_INDEX")
	if idx == "" {
		return Shard{}, false, nil
	}
	n := getenv("JOB_COMPLETIONS")
	if n == "" {
		return Shard{}, false, errors.New("JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set it to the Job's completions (the number of shards)")
	}
	s, err = ParseShard(idx + "/" + n)
	if err != nil {
		return Shard{}, false, fmt.Errorf("JOB_COMPLETION_INDEX=%s, JOB_COMPLETIONS=%s: %w", idx, n, err)
	}
	return s, true, nil
}

// Has reports whether sc belongs to the shard: a stable hash (FNV-1a) of its Rel, modulo Count.
func (s Shard) Has(sc *Scenario) bool { return s.hasRel(sc.Rel) }

func (s Shard) hasRel(rel string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(rel))
	return h.Sum64()%uint64(s.Count) == uint64(s.Index)
}

func (s Shard) String() string {
	if s.Count == 0 {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Matches reports whether run (nil: everything) matches a scenario's name, its file's path as
// given, or its path relative to the directory given.
func Matches(run *regexp.Regexp, name, file, rel string) bool {
	return run == nil || run.MatchString(name) || run.MatchString(file) || run.MatchString(rel)
}

// Select keeps the scenarios that run matches (Matches) and that are in the shard; skipped
// counts the others.
func Select(scenarios []*Scenario, run *regexp.Regexp, shard Shard) (selected []*Scenario, skipped int) {
	for _, sc := range scenarios {
		if Matches(run, sc.Name, sc.File, sc.Rel) && shard.Has(sc) {
			selected = append(selected, sc)
		} else {
			skipped++
		}
	}
	return selected, skipped
}

// SelectEntries is Select for a Scan's entries.
func SelectEntries(entries []Entry, run *regexp.Regexp, shard Shard) (selected []Entry, skipped int) {
	for _, e := range entries {
		if Matches(run, e.Name, e.File, e.Rel) && shard.hasRel(e.Rel) {
			selected = append(selected, e)
		} else {
			skipped++
		}
	}
	return selected, skipped
}

package eventschema

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/channeldesk/channeldesk/domain/catalog"
)

// Regenerate is the command that rewrites docs/schemas (and
// docs/events.md), as error messages tell it.
const Regenerate = "go generate ./domain/catalog"

// Files returns the committed form of every entry's schema by file name.
func Files(entries []catalog.Entry) map[string][]byte {
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		out[FileName(e.Type, e.Version)] = Marshal(For(e))
	}
	return out
}

var fileName = regexp.MustCompile(`^(.+)\.v([1-9][0-9]*)\.json$`)

// Verify compares the schemas of entries with the files in dir, the
// committed copies. It returns one error per problem, in a fixed order: a
// Break for each breaking change of a committed version; a missing,
// stale (changed compatibly) or unreadable file, and a file for no entry
// (a published version removed from the catalog), each naming the fix.
func Verify(dir string, entries []catalog.Entry) []error {
	var errs []error
	want := map[string]bool{}
	for _, e := range entries {
		name := FileName(e.Type, e.Version)
		want[name] = true
		gen := Marshal(For(e))
		path := filepath.Join(dir, name)
		committed, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%s: no committed schema for %s v%d; run %s and commit it", path, e.Type, e.Version, Regenerate))
			continue
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		if string(committed) == string(gen) {
			continue
		}
		old, err := Parse(committed)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v; run %s", path, err, Regenerate))
			continue
		}
		breaks := Check(e.Type, e.Version, old, For(e))
		for _, b := range breaks {
			errs = append(errs, b)
		}
		if len(breaks) == 0 {
			errs = append(errs, fmt.Errorf("%s is stale (the change is compatible); run %s and commit it", path, Regenerate))
		}
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		return append(errs, err)
	}
	for _, f := range files {
		m := fileName.FindStringSubmatch(f.Name())
		if m == nil {
			errs = append(errs, fmt.Errorf("%s: not a schema file name (<type>.v<version>.json)", filepath.Join(dir, f.Name())))
			continue
		}
		if !want[f.Name()] {
			v, _ := strconv.Atoi(m[2])
			errs = append(errs, fmt.Errorf("%s: %s v%d is published but no longer in the catalog; "+
				"a published version stays, read through an upcaster", filepath.Join(dir, f.Name()), m[1], v))
		}
	}
	return errs
}

// Write writes the schema of every entry into dir. It writes nothing and
// returns the breaks when a committed schema would change incompatibly.
func Write(dir string, entries []catalog.Entry) error {
	var breaks []error
	for _, err := range Verify(dir, entries) {
		if b, ok := errors.AsType[Break](err); ok {
			breaks = append(breaks, b)
		}
	}
	if len(breaks) > 0 {
		return errors.Join(breaks...)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range Files(entries) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

package domain_test

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces STYLE rule 1: every Go file under domain/, tests and
// testdata included, imports only the standard library,
// github.com/google/uuid, or the domain's own packages. Anything else (a
// database driver, a clock, a logger, another layer of this module) would
// make a decision depend on more than its inputs.
func TestImports(t *testing.T) {
	module := modulePath(t)
	files := 0
	var found []string // every file walked, slash-separated, relative to domain/
	var bad []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		found = append(found, filepath.ToSlash(path))
		bad = append(bad, disallowedImports(t, filepath.ToSlash(filepath.Join("domain", path)), src, module)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	sort.Strings(found)
	// Guard against passing by looking at nothing: the walk must have seen
	// the domain's own files.
	if files < 15 {
		t.Errorf("walked %d Go files under domain/, expected at least 15: is the test running in domain/?", files)
	}
	for _, want := range []string{"doc.go", "imports_test.go", "account/decide.go", "catalog/catalog.go", "names/names.go"} {
		if i := sort.SearchStrings(found, want); i == len(found) || found[i] != want {
			t.Errorf("walk did not see %s", want)
		}
	}

	for _, b := range bad {
		t.Error(b)
	}
}

// TestImportRuleRefuses checks the checker itself on code it must refuse
// and code it must accept.
func TestImportRuleRefuses(t *testing.T) {
	const module = "github.com/channeldesk/channeldesk"
	cases := []struct {
		name, imp string
		refused   bool
	}{
		{"standard library", "strings", false},
		{"nested standard library", "encoding/json", false},
		{"uuid", "github.com/google/uuid", false},
		{"the domain package", module + "/domain", false},
		{"a domain subpackage", module + "/domain/account", false},
		{"a third-party package", "github.com/jackc/pgx/v5", true},
		{"golang.org/x", "golang.org/x/text/unicode/norm", true},
		{"a uuid look-alike", "github.com/google/uuidx", true},
		{"a package under uuid", "github.com/google/uuid/internal", true},
		{"another layer of this module", module + "/eventstore", true},
		{"a sibling with the domain prefix", module + "/domainx", true},
		{"the module root", module, true},
		{"cgo", "C", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "package x\n\nimport _ " + strconv.Quote(tc.imp) + "\n"
			got := disallowedImports(t, "x.go", []byte(src), module)
			if refused := len(got) > 0; refused != tc.refused {
				t.Errorf("import %q: refused = %v, want %v (%q)", tc.imp, refused, tc.refused, got)
			}
		})
	}
}

// disallowedImports parses the imports of file src and describes each one
// the rule does not allow.
func disallowedImports(t *testing.T, name string, src []byte, module string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	var bad []string
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			t.Fatalf("%s: import %s: %v", name, imp.Path.Value, err)
		}
		if !allowed(p, module) {
			bad = append(bad, name+" imports "+strconv.Quote(p)+": domain/ may import only the standard library, github.com/google/uuid and "+module+"/domain/...")
		}
	}
	return bad
}

func allowed(path, module string) bool {
	first, _, _ := strings.Cut(path, "/")
	switch {
	case path == "C":
		return false
	case !strings.Contains(first, "."):
		return true
	case path == "github.com/google/uuid":
		return true
	case path == module+"/domain" || strings.HasPrefix(path, module+"/domain/"):
		return true
	}
	return false
}

// modulePath reads the module path from ../go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatal("no module line in ../go.mod")
	return ""
}

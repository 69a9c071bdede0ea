package domain_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// rulesDoc is docs/RULES.md, the checklist of DOMAIN.md's rules against the
// tests that cover them, relative to this package's directory.
var rulesDoc = filepath.Join("..", "docs", "RULES.md")

var (
	// A rule: "A12. text" at the start of a line.
	ruleLine = regexp.MustCompile(`^([A-Z]+[0-9]+)\. \S`)
	// A test reference: "- <package> `<test or scenario name>`", the
	// package being a directory under domain/ ("domain" for domain/
	// itself).
	refLine = regexp.MustCompile("^\\s*- ([a-z]+) `([^`]+)`")
	// A rule deliberately not covered here, saying why.
	notCoveredLine = regexp.MustCompile(`^\s*- not covered — \S`)
)

// TestRulesDoc checks docs/RULES.md: every rule it lists has at least one
// test reference or says why it is not covered, and every test it names
// exists in the tests of the package named.
func TestRulesDoc(t *testing.T) {
	f, err := os.Open(rulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sources := map[string]string{} // package → its *_test.go files, concatenated
	var rules []string
	covered := map[string]bool{}
	refs := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := ruleLine.FindStringSubmatch(line); m != nil {
			for _, r := range rules {
				if r == m[1] {
					t.Errorf("RULES.md:%d: rule %s listed twice", n, m[1])
				}
			}
			rules = append(rules, m[1])
			continue
		}
		m := refLine.FindStringSubmatch(line)
		if m == nil {
			if notCoveredLine.MatchString(line) && len(rules) > 0 {
				covered[rules[len(rules)-1]] = true
			}
			continue
		}
		if len(rules) == 0 {
			t.Errorf("RULES.md:%d: test reference before the first rule", n)
			continue
		}
		src, ok := sources[m[1]]
		if !ok {
			src = testSources(t, m[1])
			sources[m[1]] = src
		}
		refs++
		if !testNamed(src, m[2]) {
			t.Errorf("RULES.md:%d: no test %q in the tests of package %s", n, m[2], m[1])
		}
		covered[rules[len(rules)-1]] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !covered[r] {
			t.Errorf("RULES.md: rule %s names no test and does not say why it is not covered", r)
		}
	}
	// Guard against passing by reading nothing.
	if len(rules) < 40 || refs < 100 {
		t.Errorf("RULES.md lists %d rules and %d test references: is it the checklist of DOMAIN.md?", len(rules), refs)
	}
}

// testSources returns the *_test.go files of domain package pkg ("domain"
// is domain/ itself, without its subdirectories), concatenated.
func testSources(t *testing.T, pkg string) string {
	t.Helper()
	dir := "."
	if pkg != "domain" {
		dir = pkg
	}
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("package %s: no test files in %s (%v)", pkg, dir, err)
	}
	var b strings.Builder
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
		b.WriteByte('\n')
	}
	return b.String()
}

var testFunc = regexp.MustCompile(`^Test[A-Za-z0-9_]*$`)

// testNamed reports whether the test sources src hold the test name: a test
// function "TestX", a subtest "TestX/name" of it, or a scenario name. A name
// is found when it is one Go string literal, or a literal ending in "/" or
// ": " (the slash may be left to the code joining them) followed by a
// literal holding the rest: the two ways the tests build their names.
func testNamed(src, name string) bool {
	head, rest, sub := strings.Cut(name, "/")
	if testFunc.MatchString(head) {
		if !strings.Contains(src, "func "+head+"(") {
			return false
		}
		if !sub {
			return true
		}
		name = rest
	}
	if strings.Contains(src, strconv.Quote(name)) {
		return true
	}
	for i := 1; i < len(name); i++ {
		head, tail := name[:i], name[i:]
		if !strings.HasSuffix(head, "/") && !strings.HasSuffix(head, ": ") {
			continue
		}
		if !strings.Contains(src, strconv.Quote(tail)) {
			continue
		}
		if strings.Contains(src, strconv.Quote(head)) || strings.Contains(src, strconv.Quote(strings.TrimSuffix(head, "/"))) {
			return true
		}
	}
	return false
}

// TestTestNamed checks the name finder on sources it must and must not
// find names in.
func TestTestNamed(t *testing.T) {
	const src = `
func TestThing(t *testing.T) {
	name := func(s string) string { return w.name + "/" + s }
	w.name = "ChangeAddress"
	sc(name("who: admin staff may ask"))
	const rule = "AddContact/a rule: "
	{Name: rule + "a case"}
	{Name: "SetVATNumber/party: \"account\" only"}
	t.Run("a sub test", nil)
}`
	for name, want := range map[string]bool{
		"TestThing":                              true,
		"TestThing/a sub test":                   true,
		"ChangeAddress/who: admin staff may ask": true,
		"AddContact/a rule: a case":              true,
		`SetVATNumber/party: "account" only`:     true,
		"TestOther":                              false,
		"TestOther/a sub test":                   false,
		"TestThing/another sub test":             false,
		"ChangeAddress/who: admin staff may":     false,
		"RenameCompany/who: admin staff may ask": false,
		"AddContact/a rule: another case":        false,
		"AddContact/a rule":                      false,
	} {
		if got := testNamed(src, name); got != want {
			t.Errorf("testNamed(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestCommandsCarryActorAndTime enforces DOMAIN-DESIGN.md: Decide is pure,
// so the acting party and the time arrive in the command. Every command
// type of every aggregate (a struct with a Target method) has the fields
// By domain.Actor and At time.Time.
func TestCommandsCarryActorAndTime(t *testing.T) {
	files := domainSources(t)
	commands := 0
	for _, f := range files {
		for _, problem := range commandProblems(f.name, f.file) {
			t.Error(problem)
		}
		commands += len(targets(f.file))
	}
	if commands < 40 {
		t.Errorf("found %d commands under domain/, expected at least 40", commands)
	}
}

// TestDomainReadsNoClock enforces DOMAIN-DESIGN.md: time, IDs and chance
// arrive in commands, so no non-test domain code reads the clock
// (time.Now, time.Since, time.Until, timers), draws IDs (uuid.New…) or
// random numbers (math/rand, crypto/rand).
func TestDomainReadsNoClock(t *testing.T) {
	files := domainSources(t)
	if len(files) < 15 {
		t.Errorf("read %d non-test Go files under domain/, expected at least 15", len(files))
	}
	for _, f := range files {
		for _, problem := range impurities(f.name, f.file) {
			t.Error(problem)
		}
	}
}

// TestCheckersRefuse checks the two checkers above on code they must
// refuse and code they must accept.
func TestCheckersRefuse(t *testing.T) {
	parse := func(src string) *ast.File {
		f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	const header = "package x\n\nimport (\n\t\"time\"\n\n\t\"github.com/channeldesk/channeldesk/domain\"\n)\n\n"
	for name, tc := range map[string]struct {
		src     string
		refused bool
	}{
		"a command with By and At": {"type C struct {\n\tID string\n\tBy domain.Actor\n\tAt time.Time\n}\nfunc (c C) Target() string { return c.ID }\n", false},
		"a command without At":     {"type C struct {\n\tID string\n\tBy domain.Actor\n}\nfunc (c C) Target() string { return c.ID }\n", true},
		"a command without By":     {"type C struct {\n\tID string\n\tAt time.Time\n}\nfunc (C) Target() string { return \"\" }\n", true},
		"a command with By of another type": {
			"type C struct {\n\tBy string\n\tAt time.Time\n}\nfunc (c *C) Target() string { return \"\" }\n", true,
		},
		"a struct without Target is no command": {"type S struct{ ID string }\nvar _ = time.Second\nvar _ domain.Actor\n", false},
	} {
		t.Run("command/"+name, func(t *testing.T) {
			if got := commandProblems("x.go", parse(header+tc.src)); (len(got) > 0) != tc.refused {
				t.Errorf("refused = %v, want %v (%q)", len(got) > 0, tc.refused, got)
			}
		})
	}
	for name, tc := range map[string]struct {
		src     string
		refused bool
	}{
		"arithmetic on a given time":  {"package x\n\nimport \"time\"\n\nfunc f(at time.Time) time.Time { return at.Add(time.Hour) }\n", false},
		"time.Now":                    {"package x\n\nimport \"time\"\n\nfunc f() time.Time { return time.Now() }\n", true},
		"time.Since":                  {"package x\n\nimport \"time\"\n\nvar f = time.Since\n", true},
		"time.Now under another name": {"package x\n\nimport clock \"time\"\n\nfunc f() clock.Time { return clock.Now() }\n", true},
		"uuid.NewV7":                  {"package x\n\nimport \"github.com/google/uuid\"\n\nvar id, _ = uuid.NewV7()\n", true},
		"uuid.Parse":                  {"package x\n\nimport \"github.com/google/uuid\"\n\nvar id, _ = uuid.Parse(\"\")\n", false},
		"math/rand":                   {"package x\n\nimport \"math/rand/v2\"\n\nvar n = rand.Int()\n", true},
		"crypto/rand":                 {"package x\n\nimport \"crypto/rand\"\n\nvar s = rand.Text()\n", true},
		"a local variable named time": {"package x\n\nfunc f(time struct{ Now int }) int { return time.Now }\n", false},
	} {
		t.Run("clock/"+name, func(t *testing.T) {
			if got := impurities("x.go", parse(tc.src)); (len(got) > 0) != tc.refused {
				t.Errorf("refused = %v, want %v (%q)", len(got) > 0, tc.refused, got)
			}
		})
	}
}

type sourceFile struct {
	name string
	file *ast.File
}

// domainSources parses every non-test Go file under domain/.
func domainSources(t *testing.T) []sourceFile {
	t.Helper()
	var out []sourceFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		out = append(out, sourceFile{name: filepath.ToSlash(filepath.Join("domain", path)), file: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// targets returns the names of the types of f with a method Target.
func targets(f *ast.File) map[string]bool {
	out := map[string]bool{}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Name.Name != "Target" || len(fn.Recv.List) != 1 {
			continue
		}
		typ := fn.Recv.List[0].Type
		if star, ok := typ.(*ast.StarExpr); ok {
			typ = star.X
		}
		if id, ok := typ.(*ast.Ident); ok {
			out[id.Name] = true
		}
	}
	return out
}

// commandProblems describes each command type of f (a struct with a Target
// method in the same file) that lacks By domain.Actor or At time.Time.
func commandProblems(name string, f *ast.File) []string {
	commands := targets(f)
	var problems []string
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.TYPE {
			continue
		}
		for _, spec := range gen.Specs {
			ts := spec.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok || !commands[ts.Name.Name] {
				continue
			}
			fields := map[string]string{}
			for _, fl := range st.Fields.List {
				for _, n := range fl.Names {
					fields[n.Name] = typeName(fl.Type)
				}
			}
			if fields["By"] != "domain.Actor" {
				problems = append(problems, name+": command "+ts.Name.Name+" has no field By domain.Actor: the acting party arrives in the command")
			}
			if fields["At"] != "time.Time" {
				problems = append(problems, name+": command "+ts.Name.Name+" has no field At time.Time: the time arrives in the command")
			}
		}
	}
	return problems
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return typeName(e.X) + "." + e.Sel.Name
	}
	return ""
}

// impurities describes each use in f of the clock, of ID generation or of
// randomness.
func impurities(name string, f *ast.File) []string {
	var problems []string
	local := map[string]string{} // import name → path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		switch p {
		case "math/rand", "math/rand/v2", "crypto/rand":
			problems = append(problems, name+" imports "+p+": chance arrives in the command, as values")
		}
		n := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			n = imp.Name.Name
		}
		local[n] = p
	}
	forbidden := map[string]map[string]bool{
		"time":                   {"Now": true, "Since": true, "Until": true, "After": true, "Tick": true, "NewTimer": true, "NewTicker": true, "AfterFunc": true, "Sleep": true},
		"github.com/google/uuid": {"New": true, "NewRandom": true, "NewV7": true, "NewUUID": true, "NewString": true},
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil { // id.Obj is set for local declarations
			return true
		}
		if p, ok := local[id.Name]; ok && forbidden[p][sel.Sel.Name] {
			problems = append(problems, name+" uses "+p+"."+sel.Sel.Name+": time and IDs arrive in the command")
		}
		return true
	})
	return problems
}

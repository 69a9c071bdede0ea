package catalog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/catalog"
)

// The golden files in testdata freeze the wire format of every event type
// (STYLE rule 3): testdata/<type>.v<version>.json holds a fully populated
// example, written as json.MarshalIndent(example, "", "  ") plus a newline.
// Only a reviewed change may rewrite one, with
//
//	go test ./domain/catalog -update
//
// and a published version's file should never need it: a change of shape is
// a new version with its own golden file.
var update = flag.Bool("update", false, "rewrite the golden files in testdata in canonical form (new ones are written by hand)")

func goldenName(t string, v int) string { return fmt.Sprintf("%s.v%d", t, v) }

func goldenPath(name string) string { return filepath.Join("testdata", name+".json") }

// canonical is the golden form of an event: its json.Marshal bytes, indented.
func canonical(t *testing.T, e domain.Event) []byte {
	t.Helper()
	compact, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("marshal %T: %v", e, err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// TestGolden freezes the wire format: every catalog entry has a golden file
// in testdata (written by hand, fully populated: it is the example), which
// decodes to the entry's type and re-encodes to exactly the same bytes.
func TestGolden(t *testing.T) {
	for _, e := range catalog.Entries() {
		name := goldenName(e.Type, e.Version)
		t.Run(name, func(t *testing.T) {
			path := goldenPath(name)
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("golden file: %v (write a fully populated example of the event there)", err)
			}
			// The entry's own Decode: the catalog's reads an older
			// version as the current one (TestUpcasters).
			decoded, err := e.Decode(golden)
			if err != nil {
				t.Fatalf("Decode golden: %v", err)
			}
			if reflect.TypeOf(decoded) != reflect.TypeOf(e.Zero) {
				t.Fatalf("Decode gave a %T, want a %T", decoded, e.Zero)
			}
			assertPopulated(t, reflect.ValueOf(decoded), reflect.TypeOf(decoded).Name())
			if *update {
				if err := os.WriteFile(path, canonical(t, decoded), 0o644); err != nil {
					t.Fatal(err)
				}
				golden = canonical(t, decoded)
			}
			// Marshalling what was decoded must give back the golden bytes:
			// every stored field is read and written under the same name,
			// and no field of the file is unknown to the type.
			if got := canonical(t, decoded); !bytes.Equal(got, golden) {
				t.Errorf("wire format changed for %s:\n got %s\nwant %s", name, got, golden)
			}
		})
	}
}

// assertPopulated fails for any zero field in v, so that an example (and so
// its golden file) covers every field, including omitempty ones.
func assertPopulated(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if f.IsExported() {
				assertPopulated(t, v.Field(i), path+"."+f.Name)
			}
		}
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			t.Errorf("example field %s is empty", path)
		}
		if v.Kind() == reflect.Slice {
			for i := 0; i < v.Len(); i++ {
				assertPopulated(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	default:
		if v.IsZero() {
			t.Errorf("example field %s is zero", path)
		}
	}
}

// goldenFile matches the name of a golden file.
var goldenFile = regexp.MustCompile(`^(.+)\.v([1-9][0-9]*)\.json$`)

func TestNoOrphanGoldenFiles(t *testing.T) {
	c := catalog.New()
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < len(catalog.Entries()) {
		t.Errorf("%d files in testdata for %d catalog entries", len(files), len(catalog.Entries()))
	}
	for _, f := range files {
		base := filepath.Base(f)
		m := goldenFile.FindStringSubmatch(base)
		if m == nil {
			t.Errorf("%s: not a golden file name (<type>.v<version>.json)", f)
			continue
		}
		v, err := strconv.Atoi(m[2])
		if err != nil {
			t.Errorf("%s: version: %v", f, err)
			continue
		}
		if _, ok := c.Lookup(m[1], v); !ok {
			t.Errorf("%s: orphan golden file, no catalog entry %s v%d", f, m[1], v)
		}
	}
}

var typeName = regexp.MustCompile(`^[a-z_]+\.[a-z_.]+$`)

func TestEntries(t *testing.T) {
	entries := catalog.Entries()
	if len(entries) == 0 {
		t.Fatal("no entries")
	}
	c := catalog.New()
	seen := map[string]bool{}
	for _, e := range entries {
		name := goldenName(e.Type, e.Version)
		if !typeName.MatchString(e.Type) {
			t.Errorf("%s: type name does not match %s", name, typeName)
		}
		if cat, _, _ := strings.Cut(e.Type, "."); e.Category != cat {
			t.Errorf("%s: category %q, want %q (the type up to the first dot)", name, e.Category, cat)
		}
		if e.Version < 1 {
			t.Errorf("%s: version %d, versions start at 1", name, e.Version)
		}
		if seen[name] {
			t.Errorf("%s: listed twice", name)
		}
		seen[name] = true
		if e.Zero == nil || e.Zero.EventType() != e.Type || e.Zero.SchemaVersion() != e.Version {
			t.Errorf("%s: Zero is %#v", name, e.Zero)
		}
		// Commands write the current version only.
		if cur, _ := c.Current(e.Type); e.Version == cur && len(e.EmittedBy) == 0 {
			t.Errorf("%s: no command emits it", name)
		} else if e.Version < cur && len(e.EmittedBy) > 0 {
			t.Errorf("%s: emitted by %v, but v%d is current", name, e.EmittedBy, cur)
		}
		if e.Decode == nil {
			t.Errorf("%s: no Decode", name)
		}
		if got, ok := c.Lookup(e.Type, e.Version); !ok || got.Type != e.Type || got.Version != e.Version {
			t.Errorf("%s: Lookup = %v, %v", name, got.Type, ok)
		}
	}
	if !reflect.DeepEqual(typesOf(catalog.Entries()), typesOf(entries)) {
		t.Error("Entries is not in a fixed order")
	}
}

func typesOf(es []catalog.Entry) []string {
	var s []string
	for _, e := range es {
		s = append(s, goldenName(e.Type, e.Version))
	}
	return s
}

func TestDecodeUnknown(t *testing.T) {
	c := catalog.New()
	cases := []struct {
		name    string
		typ     string
		version int
	}{
		{"unknown type", "account.exploded", 1},
		{"known type, unknown version", "account.registered", 2},
		{"known type, version 0", "account.registered", 0},
		{"empty type", "", 1},
		{"type differing in case", "Account.Registered", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := c.Decode(tc.typ, tc.version, []byte(`{}`))
			if !errors.Is(err, catalog.ErrUnknownEvent) {
				t.Errorf("Decode(%q, %d) = %v, %v; want ErrUnknownEvent", tc.typ, tc.version, ev, err)
			}
			if _, ok := c.Lookup(tc.typ, tc.version); ok {
				t.Errorf("Lookup(%q, %d) found an entry", tc.typ, tc.version)
			}
		})
	}
}

// TestDecodeMalformed feeds every entry bodies that are not objects, and
// its golden file with each top-level field given a value of the wrong
// JSON type: every one must be a decode error, never a silent zero.
func TestDecodeMalformed(t *testing.T) {
	c := catalog.New()
	for _, e := range catalog.Entries() {
		name := goldenName(e.Type, e.Version)
		bodies := []string{``, `{`, `[]`, `"x"`}
		golden, err := os.ReadFile(goldenPath(name))
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(golden, &fields); err != nil {
			t.Fatal(err)
		}
		for k, v := range fields {
			wrong := `{"wrong": true}`
			if strings.HasPrefix(string(v), "{") {
				wrong = `"not an object"`
			}
			broken := map[string]json.RawMessage{}
			for k2, v2 := range fields {
				broken[k2] = v2
			}
			broken[k] = json.RawMessage(wrong)
			b, _ := json.Marshal(broken)
			bodies = append(bodies, string(b))
		}
		for _, data := range bodies {
			ev, err := c.Decode(e.Type, e.Version, []byte(data))
			if err == nil || errors.Is(err, catalog.ErrUnknownEvent) {
				t.Errorf("Decode(%s v%d, %q) = %v, %v; want a decode error", e.Type, e.Version, data, ev, err)
			}
		}
	}
}

// TestDecodeToleratesUnknownFields pins a decision: decoding ignores JSON
// fields it does not know. A reader built before a field was added to a
// version (an additive, backward-compatible change) can then still read
// events written after it, e.g. during a rolling deploy. Changing or
// removing a field is not additive and needs a new version.
func TestDecodeToleratesUnknownFields(t *testing.T) {
	c := catalog.New()
	for _, e := range catalog.Entries() {
		name := goldenName(e.Type, e.Version)
		golden, err := os.ReadFile(goldenPath(name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.Decode(e.Type, e.Version, golden)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(golden, &fields); err != nil {
			t.Fatal(err)
		}
		fields["added_in_a_later_release"] = map[string]any{"nested": []int{1, 2}}
		extended, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decode(e.Type, e.Version, extended)
		if err != nil {
			t.Errorf("%s: Decode with an unknown field: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: unknown field changed the value: %#v, want %#v", name, got, want)
		}
	}
}

package catalog_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/domain/catalog"
)

// TestShapeMatchesGolden checks the shape the catalog documents for every
// event against its golden file, which is fully populated: every field of
// the shape is in the file with a value of its kind, and the file has no
// member the shape lacks, at every depth.
func TestShapeMatchesGolden(t *testing.T) {
	for _, e := range catalog.Entries() {
		name := goldenName(e.Type, e.Version)
		t.Run(name, func(t *testing.T) {
			golden, err := os.ReadFile(goldenPath(name))
			if err != nil {
				t.Fatal(err)
			}
			v := decodeNumbers(t, golden)
			s := catalog.ShapeOf(e)
			if s.Kind != catalog.KindObject || len(s.Fields) == 0 {
				t.Fatalf("shape %s is not an object with fields", s)
			}
			for _, problem := range mismatches(s, v, "") {
				t.Error(problem)
			}
		})
	}
}

// decodeNumbers decodes data keeping numbers as written, so that an
// integer can be told from a fraction.
func decodeNumbers(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// mismatches lists where value v, at path, is not of shape s.
func mismatches(s catalog.Shape, v any, path string) []string {
	if v == nil {
		if s.Nullable || s.Kind == catalog.KindAny {
			return nil
		}
		return []string{fmt.Sprintf("%s: null for %s", path, s)}
	}
	wrong := []string{fmt.Sprintf("%s: %T %v for %s", path, v, v, s)}
	switch s.Kind {
	case catalog.KindAny:
		return nil
	case catalog.KindString:
		str, ok := v.(string)
		if !ok {
			return wrong
		}
		switch s.Format {
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return wrong
			}
		case "base64":
			if _, err := base64.StdEncoding.DecodeString(str); err != nil {
				return wrong
			}
		}
	case catalog.KindInteger:
		if n, ok := v.(json.Number); !ok {
			return wrong
		} else if _, err := n.Int64(); err != nil {
			return wrong
		}
	case catalog.KindNumber:
		if _, ok := v.(json.Number); !ok {
			return wrong
		}
	case catalog.KindBoolean:
		if _, ok := v.(bool); !ok {
			return wrong
		}
	case catalog.KindArray:
		a, ok := v.([]any)
		if !ok {
			return wrong
		}
		var out []string
		for i, el := range a {
			out = append(out, mismatches(*s.Elem, el, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case catalog.KindMap:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong
		}
		var out []string
		for k, el := range m {
			out = append(out, mismatches(*s.Elem, el, path+"."+k)...)
		}
		return out
	case catalog.KindObject:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong
		}
		if s.Fields == nil { // a type within itself: any object
			return nil
		}
		var out []string
		known := map[string]bool{}
		for _, f := range s.Fields {
			known[f.Name] = true
			el, ok := m[f.Name]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: in the shape, not in the golden file", path, f.Name))
				continue
			}
			out = append(out, mismatches(f.Shape, el, path+"."+f.Name)...)
		}
		var extra []string
		for k := range m {
			if !known[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			out = append(out, fmt.Sprintf("%s.%s: in the golden file, not in the shape", path, k))
		}
		return out
	default:
		return []string{fmt.Sprintf("%s: unknown kind %q", path, s.Kind)}
	}
	return nil
}

type shapeBase struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

type shapeDeeper struct {
	Note  string `json:"note"`
	Level int    `json:"level"`
}

type shapeMiddle struct {
	shapeDeeper
	Tier string `json:"tier"`
}

type shapeLine struct {
	SKU      string  `json:"sku"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price,omitzero"`
}

type shapeTree struct {
	Name     string      `json:"name"`
	Children []shapeTree `json:"children,omitempty"`
}

// shapeEvent has one field of every kind ShapeOf tells apart.
type shapeEvent struct {
	shapeBase
	*shapeMiddle
	At       time.Time         `json:"at"`
	Lines    []shapeLine       `json:"lines"`
	Labels   map[string]string `json:"labels,omitempty"`
	Advisor  *shapeBase        `json:"advisor,omitempty"`
	Done     bool              `json:"done"`
	Count    int64             `json:"count,string"`
	Raw      json.RawMessage   `json:"raw"`
	Blob     []byte            `json:"blob"`
	Tree     shapeTree         `json:"tree"`
	Untagged uint8
	Skipped  string `json:"-"`
	hidden   string
}

func (shapeEvent) EventType() string  { return "shape.tested" }
func (shapeEvent) SchemaVersion() int { return 1 }

func TestShapeOf(t *testing.T) {
	s := catalog.ShapeOf(catalog.Entry{Zero: shapeEvent{hidden: "x"}})
	want := "{id: string, note?: string, level: integer, tier: string, at: date-time, lines: [{sku: string, quantity: integer, price?: number}], " +
		"labels?: {string: string}, advisor?: {id: string, note?: string} or null, done: boolean, count: string, raw: any, blob: base64, " +
		"tree: {name: string, children?: [object]}, Untagged: integer}"
	if got := s.String(); got != want {
		t.Errorf("ShapeOf:\n got %s\nwant %s", got, want)
	}
	// encoding/json writes the same members: the shape is its reading.
	full := shapeEvent{shapeBase: shapeBase{ID: "1", Note: "n"}, shapeMiddle: &shapeMiddle{shapeDeeper: shapeDeeper{Note: "hidden by the shallower note", Level: 2}, Tier: "gold"},
		At: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Lines: []shapeLine{{SKU: "A", Quantity: 1, Price: 1.5}}, Labels: map[string]string{"k": "v"},
		Advisor: &shapeBase{ID: "2", Note: "m"}, Done: true, Count: 7, Raw: json.RawMessage(`{"x":[1]}`), Blob: []byte{1, 2},
		Tree: shapeTree{Name: "root", Children: []shapeTree{{Name: "leaf"}}}, Untagged: 3}
	b, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range mismatches(s, decodeNumbers(t, b), "") {
		t.Error(p)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/eventschema"
)

// TestDocIsCurrent fails when docs/events.md is not what the catalog
// generates today: an event added, renamed, reversioned, reshaped or
// emitted by another command without regenerating the document.
func TestDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "events.md")
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("docs/events.md: %v; run %s", err, regenerate)
	}
	want := render(catalog.Entries())
	if bytes.Equal(onDisk, want) {
		return
	}
	got, exp := strings.Split(string(onDisk), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(got) || i < len(exp); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(exp) {
			w = exp[i]
		}
		if g != w {
			t.Fatalf("docs/events.md is stale: run %s\nfirst difference, line %d:\n file: %s\n code: %s", regenerate, i+1, g, w)
		}
	}
}

// TestOneRowPerEvent: every catalog entry has exactly one row, with its
// name, version, category, subject, every field of its shape, every
// command that emits it and the link to its committed schema; there is no
// other row.
func TestOneRowPerEvent(t *testing.T) {
	entries := catalog.Entries()
	var rows []string
	_, events, _ := strings.Cut(string(render(entries)), "\n## Events\n")
	for _, line := range strings.Split(events, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows = append(rows, line)
		}
	}
	if len(rows) != len(entries) {
		t.Fatalf("%d rows for %d entries", len(rows), len(entries))
	}
	for i, e := range entries {
		cells := strings.Split(strings.Trim(rows[i], "| "), " | ")
		if len(cells) != 7 {
			t.Fatalf("row %d has %d cells: %s", i, len(cells), rows[i])
		}
		if cells[0] != "`"+e.Type+"`" || cells[1] != strconv.Itoa(e.Version) || cells[2] != "`"+e.Category+"`" {
			t.Errorf("row %d is %s, want %s v%d in %s", i, rows[i], e.Type, e.Version, e.Category)
		}
		fields := strings.Split(cells[4], "<br>")
		shape := catalog.ShapeOf(e)
		if len(fields) != len(shape.Fields) {
			t.Errorf("%s: %d fields in the row, %d in the event", e.Type, len(fields), len(shape.Fields))
			continue
		}
		for j, f := range shape.Fields {
			if !strings.HasPrefix(fields[j], "`"+f.Name+": ") && !strings.HasPrefix(fields[j], "`"+f.Name+"?: ") {
				t.Errorf("%s: field %d is %s, want %s", e.Type, j, fields[j], f.Name)
			}
		}
		if want := "`" + eventschema.Address(broker.Default(), e.Category, e.Type) + "`"; cells[3] != want {
			t.Errorf("%s: subject %s, want %s", e.Type, cells[3], want)
		}
		if cells[5] != strings.Join(e.EmittedBy, ", ") {
			t.Errorf("%s: emitted by %q, want %v", e.Type, cells[5], e.EmittedBy)
		}
		file := eventschema.FileName(e.Type, e.Version)
		if want := "[" + file + "](schemas/" + file + ")"; cells[6] != want {
			t.Errorf("%s v%d: schema %s, want %s", e.Type, e.Version, cells[6], want)
		}
		if _, err := os.Stat(filepath.Join("..", "..", "docs", "schemas", file)); err != nil {
			t.Errorf("%s v%d: the linked schema: %v", e.Type, e.Version, err)
		}
	}
}

// TestRenderEscapesCells keeps a stray | from splitting a row.
func TestRenderEscapesCells(t *testing.T) {
	e := catalog.Entries()[0]
	e.EmittedBy = []string{"A|B"}
	doc := string(render([]catalog.Entry{e}))
	if !strings.Contains(doc, `| A\|B |`) {
		t.Fatalf("the pipe is not escaped:\n%s", doc)
	}
}

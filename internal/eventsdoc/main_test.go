package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain/catalog"
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
// name, version, category, every field of its shape and every command that
// emits it; there is no other row.
func TestOneRowPerEvent(t *testing.T) {
	entries := catalog.Entries()
	var rows []string
	for _, line := range strings.Split(string(render(entries)), "\n") {
		if strings.HasPrefix(line, "| `") {
			rows = append(rows, line)
		}
	}
	if len(rows) != len(entries) {
		t.Fatalf("%d rows for %d entries", len(rows), len(entries))
	}
	for i, e := range entries {
		cells := strings.Split(strings.Trim(rows[i], "| "), " | ")
		if len(cells) != 5 {
			t.Fatalf("row %d has %d cells: %s", i, len(cells), rows[i])
		}
		if cells[0] != "`"+e.Type+"`" || cells[1] != strconv.Itoa(e.Version) || cells[2] != "`"+e.Category+"`" {
			t.Errorf("row %d is %s, want %s v%d in %s", i, rows[i], e.Type, e.Version, e.Category)
		}
		fields := strings.Split(cells[3], "<br>")
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
		if cells[4] != strings.Join(e.EmittedBy, ", ") {
			t.Errorf("%s: emitted by %q, want %v", e.Type, cells[4], e.EmittedBy)
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

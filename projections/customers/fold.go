package customers

import (
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
)

// NewFold implements projections.Folder: a rebuild folds the history into
// one row per account in memory, with the same builder Apply uses, and
// writes each row once with COPY, where Apply would insert it and then
// update it for every rename.
//
// A row takes about 500 bytes of memory (measured with typical names, half
// of them renamed once): its fields, its map entry and its strings, which
// are a rename's former name and fold the more. Config.RebuildFoldRows
// bounds the total.
func (p *Projection) NewFold() projections.Fold {
	return &fold{p: p, b: newBuilder(false)}
}

type fold struct {
	p *Projection
	b *builder
}

func (f *fold) Add(events []eventstore.Event) error {
	for i := range events {
		e := &events[i]
		ev, err := f.p.decode(e)
		if err != nil {
			return err
		}
		if ev != nil {
			f.b.add(e, ev)
		}
	}
	return nil
}

func (f *fold) Len() int { return len(f.b.rows) }

func (f *fold) Tables() []projections.Table {
	var out []projections.Table
	if rows := f.b.order; len(rows) > 0 {
		out = append(out, projections.Table{Name: "customers", Columns: rowColumns, Rows: len(rows),
			Values: func(i int) []any { return f.b.rows[rows[i]].values() }})
	}
	var rels [][]any
	for _, id := range projections.SortedKeys(f.b.rels) {
		for _, k := range projections.SortedKeys(f.b.rels[id]) {
			rels = append(rels, relValues(id, f.b.foldOf(id), f.b.rels[id][k]))
		}
	}
	if len(rels) > 0 {
		out = append(out, projections.Table{Name: "relationships", Columns: relColumns, Rows: len(rels),
			Values: func(i int) []any { return rels[i] }})
	}
	var former [][]any
	for _, id := range f.b.order {
		for _, fold := range f.b.rows[id].formerFolds {
			former = append(former, []any{fold, id})
		}
	}
	if former = dedupe(former); len(former) > 0 {
		out = append(out, projections.Table{Name: "former_names", Columns: formerColumns, Rows: len(former),
			Values: func(i int) []any { return former[i] }})
	}
	if cs := projections.SortedKeys(f.b.contracts); len(cs) > 0 {
		out = append(out, projections.Table{Name: "contracts", Columns: contractColumns, Rows: len(cs),
			Values: func(i int) []any { return f.b.contracts[cs[i]].values() }})
	}
	return out
}

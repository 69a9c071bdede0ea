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
	return &fold{p: p, b: newBuilder(nil)}
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

func (f *fold) Len() int { return len(f.b.news) }

func (f *fold) Tables() []projections.Table {
	if len(f.b.news) == 0 {
		return nil
	}
	return []projections.Table{{
		Name: "customers", Columns: insertColumns, Rows: len(f.b.news),
		Values: func(i int) []any { return f.b.news[i].values() },
	}}
}

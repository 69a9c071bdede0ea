package orders

import (
	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
)

// NewFold implements projections.Folder: a rebuild folds the history into
// rows in memory, with the same builder Apply uses, and writes each final
// row once with COPY, where Apply would insert an order and update it on
// fulfilment (and again on a merge).
//
// An order row takes about 1 KB of memory with a few lines (the lines'
// JSON dominates), an invoice row about 300 bytes; Config.RebuildFoldRows
// bounds their number.
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
		if ev == nil {
			continue
		}
		if err := f.b.add(e, ev); err != nil {
			return err
		}
	}
	return nil
}

func (f *fold) Len() int { return len(f.b.orders) + len(f.b.invoices) }

func (f *fold) Tables() []projections.Table {
	var out []projections.Table
	if os := f.b.orderSeq; len(os) > 0 {
		out = append(out, projections.Table{Name: "orders", Columns: orderColumns, Rows: len(os),
			Values: func(i int) []any { return f.b.orders[os[i]].values() }})
	}
	if is := f.b.invoiceSeq; len(is) > 0 {
		out = append(out, projections.Table{Name: "invoices", Columns: invoiceColumns, Rows: len(is),
			Values: func(i int) []any { return f.b.invoices[is[i]].values() }})
	}
	return out
}

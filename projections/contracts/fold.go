package contracts

import (
	"slices"

	"github.com/channeldesk/channeldesk/eventstore"
	"github.com/channeldesk/channeldesk/projections"
)

// NewFold implements projections.Folder: a rebuild folds the history into
// rows in memory, with the same builder Apply uses, and writes each row
// once with COPY, where Apply would insert it and update it for every
// later event (a rename, a discount level, an owner change).
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

func (f *fold) Len() int { return len(f.b.companies) + len(f.b.contracts) }

func (f *fold) Tables() []projections.Table {
	var out []projections.Table
	if ids := f.b.companyOrder; len(ids) > 0 {
		out = append(out, projections.Table{Name: "companies", Columns: companyColumns, Rows: len(ids),
			Values: func(i int) []any { return f.b.companies[ids[i]].values() }})
		// The fold has every agreement: it knows which companies hold one.
		holders := map[string]bool{}
		for _, a := range f.b.contracts {
			holders[a.accountID] = true
		}
		var nameRows [][]any
		for _, id := range ids {
			nameRows = append(nameRows, f.b.companies[id].nameValues(true, holders[id])...)
		}
		out = append(out, projections.Table{Name: "company_names", Columns: append(slices.Clip(nameColumns), heldColumn),
			Rows: len(nameRows), Values: func(i int) []any { return nameRows[i] }})
		var formerRows [][]any
		for _, id := range ids {
			formerRows = append(formerRows, f.b.companies[id].formerValues()...)
		}
		if len(formerRows) > 0 {
			out = append(out, projections.Table{Name: "former_names", Columns: formerColumns, Rows: len(formerRows),
				Values: func(i int) []any { return formerRows[i] }})
		}
	}
	if ns := f.b.contractOrder; len(ns) > 0 {
		out = append(out, projections.Table{Name: "contracts", Columns: contractColumns, Rows: len(ns),
			Values: func(i int) []any { return f.b.contracts[ns[i]].values() }})
	}
	return out
}

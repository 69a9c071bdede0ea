package projections

import "github.com/channeldesk/channeldesk/eventstore"

// Folder is implemented by a projection that rebuilds faster by folding
// the history into rows in memory and writing each final row once, with
// COPY, than by applying batch after batch with Apply: a row changed by
// many events (a renamed customer) is then written once instead of being
// inserted and updated. Rebuild uses it when the projection has it; live
// projectors and the catch-up before a rebuild goes live always use Apply.
//
// The rows a Fold writes must be exactly those Apply would leave after the
// same events: the fold is an optimisation, never a second definition of
// the read model.
type Folder interface {
	// NewFold returns an empty fold for one rebuild. Rebuild uses it from
	// one goroutine at a time and drops it when the rebuild ends.
	NewFold() Fold
}

// Fold holds the rows of a projection being rebuilt, in memory.
type Fold interface {
	// Add folds events into the rows held. Rebuild calls it with every
	// event of the store from position 0 in ascending positions, in batches
	// of any size, so a fold sees the whole history up to its last event
	// and needs no database to tell what an event applies to. Like Apply it
	// must ignore event types it does not use and fail on a type it uses at
	// a schema version it does not know.
	Add(events []eventstore.Event) error
	// Len is how many rows the fold holds, which bounds its memory.
	// Rebuild stops folding at Config.RebuildFoldRows: it writes the rows
	// held and applies the rest of the history with Apply.
	Len() int
	// Tables returns the rows held, one Table per table that has rows, in
	// the order in which to write them.
	Tables() []Table
}

// Table is the rows of one table of a projection, as a Fold hands them to
// Rebuild to COPY into a freshly set-up schema.
type Table struct {
	// Name is the table's name within the projection's schema.
	Name string
	// Columns are the columns each row gives values for; any other column
	// takes its default.
	Columns []string
	// Rows is how many rows there are.
	Rows int
	// Values returns the values of row i, 0 <= i < Rows, in the order of
	// Columns. Rebuild encodes them before it asks for the next row.
	Values func(i int) []any
}

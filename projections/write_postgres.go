package projections

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// copyThreshold is the number of rows from which Upsert goes through COPY
// into a temporary table rather than one multi-row statement.
const copyThreshold = 32

// Upsert writes rows (values in the order of columns) into table name of
// schema within tx, replacing the row with the same key column (none when
// key is ""): many rows through COPY into a temporary table and one
// INSERT … SELECT, a few in one multi-row INSERT. It is the bulk write a
// projection's Apply makes of the rows a batch changed.
func Upsert(ctx context.Context, tx pgx.Tx, schema, name string, columns []string, key string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	target := pgx.Identifier{schema, name}.Sanitize()
	cols := strings.Join(columns, ", ")
	onConflict := ""
	if key != "" {
		sets := make([]string, 0, len(columns))
		for _, c := range columns {
			if c != key {
				sets = append(sets, c+" = EXCLUDED."+c)
			}
		}
		onConflict = ` ON CONFLICT (` + key + `) DO UPDATE SET ` + strings.Join(sets, ", ")
	}
	if len(rows) >= copyThreshold {
		tmp := pgx.Identifier{"upsert_" + schema + "_" + name}.Sanitize()
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+tmp+` (LIKE `+target+` INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `TRUNCATE `+tmp); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"upsert_" + schema + "_" + name}, columns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("write %d %s: %w", len(rows), name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+target+` (`+cols+`) SELECT `+cols+` FROM `+tmp+onConflict); err != nil {
			return fmt.Errorf("write %d %s: %w", len(rows), name, err)
		}
		return nil
	}
	var sb strings.Builder
	sb.WriteString(`INSERT INTO ` + target + ` (` + cols + `) VALUES `)
	args := make([]any, 0, len(rows)*len(columns))
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j := range columns {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(len(args) + j + 1))
		}
		sb.WriteByte(')')
		args = append(args, r...)
	}
	sb.WriteString(onConflict)
	if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("write %d %s: %w", len(rows), name, err)
	}
	return nil
}

// SortedKeys returns the keys of m in byte order: a projection writes the
// rows it changed in a fixed order, so that concurrent writers (a live
// projector and a rebuild's catch-up) lock them in one order.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Row is one line of the result table: our figure, the raw baseline
// measured beside it (0 when the figure has none), and the target.
type Row struct {
	Figure string
	// Ours and Raw are in Unit; Raw is 0 when there is no baseline.
	Ours, Raw float64
	// Unit is what the numbers count, e.g. "events/s" or "ms".
	Unit   string
	Target Target
	// Err, when not nil, means the figure was not measured; the numbers are
	// meaningless.
	Err error
}

// Target is what a Row should reach. Zero fields set no bound.
type Target struct {
	// MinRatio is the least acceptable Ours/Raw.
	MinRatio float64
	// Min and Max bound Ours itself.
	Min, Max float64
}

// Ratio returns Ours/Raw, or NaN without a baseline.
func (r Row) Ratio() float64 {
	if r.Raw <= 0 {
		return math.NaN()
	}
	return r.Ours / r.Raw
}

// Met reports whether the row was measured and reaches every bound of its
// target.
func (r Row) Met() bool {
	if r.Err != nil {
		return false
	}
	t := r.Target
	if t.MinRatio > 0 && !(r.Ratio() >= t.MinRatio) {
		return false
	}
	if t.Min > 0 && r.Ours < t.Min {
		return false
	}
	if t.Max > 0 && r.Ours > t.Max {
		return false
	}
	return true
}

func (t Target) String(unit string) string {
	var parts []string
	if t.MinRatio > 0 {
		parts = append(parts, "≥ "+strconv.FormatFloat(t.MinRatio, 'f', 1, 64)+"× raw")
	}
	if t.Min > 0 {
		parts = append(parts, "≥ "+number(t.Min, unit))
	}
	if t.Max > 0 {
		parts = append(parts, "≤ "+number(t.Max, unit))
	}
	return strings.Join(parts, ", ")
}

func (t Target) zero() bool { return t == Target{} }

// Render writes rows as one Markdown table with the columns figure, ours,
// raw baseline, ratio and target. A row whose target is missed says so in
// the target column; a row that was not measured says why in the ours
// column.
func Render(w io.Writer, rows []Row) error {
	var b strings.Builder
	b.WriteString("| figure | ours | raw baseline | ratio | target |\n")
	b.WriteString("|---|---:|---:|---:|---|\n")
	for _, r := range rows {
		if r.Err != nil {
			fmt.Fprintf(&b, "| %s | not measured: %s | — | — | %s |\n", cell(r.Figure), cell(r.Err.Error()), cell(orDash(r.Target.String(r.Unit))))
			continue
		}
		raw, ratio := "—", "—"
		if r.Raw > 0 {
			raw = number(r.Raw, r.Unit)
			ratio = formatRatio(r.Ratio())
		}
		target := "—"
		if !r.Target.zero() {
			target = r.Target.String(r.Unit)
			if r.Met() {
				target += ": met"
			} else {
				target += ": **missed**"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(r.Figure), number(r.Ours, r.Unit), raw, ratio, target)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatRatio shows two decimals rounded down, so that a ratio just below
// its target never reads as the target (0.798 is 0.79×, not 0.80×).
func formatRatio(v float64) string {
	return strconv.FormatFloat(math.Floor(v*100+1e-9)/100, 'f', 2, 64) + "×"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// cell keeps a value on one table line.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// number formats v in unit: milliseconds with one decimal, rates as whole
// numbers with thousands separators.
func number(v float64, unit string) string {
	if unit == "ms" {
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	}
	return thousands(int64(math.Round(v))) + " " + unit
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

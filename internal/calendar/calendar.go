package calendar

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Day is one business day of time.
const Day = 24 * time.Hour

// maxSpan bounds how far AddBusinessTime reckons, so that a huge duration
// cannot loop for long.
const maxSpan = 10 * 365 * Day

// Calendar is a set of holidays. The nil *Calendar and the zero Calendar
// have none: only Saturdays and Sundays are not business days. A Calendar
// is never modified after it is built and is safe for concurrent use.
type Calendar struct {
	holidays map[time.Time]bool // UTC midnights
}

// New returns a calendar with the given holidays (their dates in UTC).
func New(holidays ...time.Time) *Calendar {
	c := &Calendar{holidays: make(map[time.Time]bool, len(holidays))}
	for _, h := range holidays {
		c.holidays[midnight(h)] = true
	}
	return c
}

// ErrSyntax is returned (wrapped, with the line) for a line of a holiday
// list that is not a date YYYY-MM-DD.
var ErrSyntax = errors.New("calendar: want one date YYYY-MM-DD a line")

// Parse reads a holiday list: one date YYYY-MM-DD a line; blank lines and
// text after '#' are ignored. It reports every bad line at once.
func Parse(r io.Reader) (*Calendar, error) {
	var days []time.Time
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, line)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %q: %w", n, line, ErrSyntax))
			continue
		}
		days = append(days, d)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return New(days...), nil
}

// Load reads the holiday list in file path (see Parse); an empty path is
// a calendar without holidays.
func Load(path string) (*Calendar, error) {
	if path == "" {
		return New(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("holidays: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("holidays %s: %w", path, err)
	}
	return c, nil
}

// Len is the number of holidays.
func (c *Calendar) Len() int {
	if c == nil {
		return 0
	}
	return len(c.holidays)
}

// Holidays returns the holidays in order, as UTC midnights.
func (c *Calendar) Holidays() []time.Time {
	if c == nil {
		return nil
	}
	out := make([]time.Time, 0, len(c.holidays))
	for d := range c.holidays {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// BusinessDay reports whether t falls on a business day: a weekday (in
// UTC) that is not a holiday.
func (c *Calendar) BusinessDay(t time.Time) bool {
	t = t.UTC()
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return c == nil || !c.holidays[midnight(t)]
}

// AddBusinessTime returns the instant d of business time after t: time on
// days that are not business days does not count. Adding a and then b
// equals adding a+b. A d of zero or less returns t itself, in UTC. Past
// ten years of business time it stops counting.
func (c *Calendar) AddBusinessTime(t time.Time, d time.Duration) time.Time {
	t = t.UTC()
	if d <= 0 {
		return t
	}
	d = min(d, maxSpan)
	for {
		next := midnight(t).AddDate(0, 0, 1)
		if !c.BusinessDay(t) {
			t = next
			continue
		}
		left := next.Sub(t)
		if d <= left {
			return t.Add(d)
		}
		d -= left
		t = next
	}
}

// AddBusinessDays returns the instant n business days after t
// (AddBusinessTime of n days).
func (c *Calendar) AddBusinessDays(t time.Time, n int) time.Time {
	return c.AddBusinessTime(t, time.Duration(n)*Day)
}

func midnight(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

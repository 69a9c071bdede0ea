package calendar_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/internal/calendar"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAddBusinessDays(t *testing.T) {
	t.Parallel()
	goodFriday := calendar.New(at("2026-04-03 00:00"))
	easter := calendar.New(at("2026-04-03 00:00"), at("2026-04-06 00:00"))
	mondayOff := calendar.New(at("2026-03-09 00:00"))
	for _, tc := range []struct {
		name string
		cal  *calendar.Calendar
		from string
		days int
		want string
	}{
		{"monday, no holidays", nil, "2026-03-02 10:00", 5, "2026-03-09 10:00"},
		{"thursday over a weekend", nil, "2026-03-05 15:00", 5, "2026-03-12 15:00"},
		{"one day from friday is monday", nil, "2026-03-06 15:00", 1, "2026-03-09 15:00"},
		{"wednesday over a holiday on friday", goodFriday, "2026-04-01 10:00", 5, "2026-04-09 10:00"},
		{"wednesday, same week without the holiday", nil, "2026-04-01 10:00", 5, "2026-04-08 10:00"},
		{"over friday and monday holidays", easter, "2026-04-01 10:00", 5, "2026-04-10 10:00"},
		{"opened on the holiday friday", goodFriday, "2026-04-03 10:00", 5, "2026-04-11 00:00"},
		{"opened on a saturday counts from monday", nil, "2026-03-07 10:00", 5, "2026-03-14 00:00"},
		{"opened on a sunday counts from monday", nil, "2026-03-08 23:00", 5, "2026-03-14 00:00"},
		{"opened on a saturday before a monday holiday", mondayOff, "2026-03-07 10:00", 5, "2026-03-17 00:00"},
		{"zero days", goodFriday, "2026-04-03 10:00", 0, "2026-04-03 10:00"},
		{"across a year end", calendar.New(at("2026-12-25 00:00"), at("2027-01-01 00:00")), "2026-12-23 09:00", 5, "2026-12-31 09:00"},
		{"over new year's day and a weekend", calendar.New(at("2026-12-25 00:00"), at("2027-01-01 00:00")), "2026-12-23 09:00", 6, "2027-01-04 09:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.cal.AddBusinessDays(at(tc.from), tc.days); !got.Equal(at(tc.want)) {
				t.Fatalf("AddBusinessDays(%s, %d) = %s, want %s", tc.from, tc.days, got.Format(time.RFC3339), tc.want)
			}
		})
	}
}

func TestAddBusinessTimeIsAdditive(t *testing.T) {
	t.Parallel()
	cal := calendar.New(at("2026-04-03 00:00"))
	from := at("2026-04-01 10:00")
	for _, split := range []time.Duration{0, time.Minute, 13 * time.Hour, 24 * time.Hour, 50 * time.Hour, 5 * calendar.Day} {
		whole := cal.AddBusinessTime(from, 5*calendar.Day)
		parts := cal.AddBusinessTime(cal.AddBusinessTime(from, split), 5*calendar.Day-split)
		if !whole.Equal(parts) {
			t.Errorf("split at %s: %s, want %s", split, parts, whole)
		}
	}
}

func TestBusinessDay(t *testing.T) {
	t.Parallel()
	cal := calendar.New(at("2026-04-03 00:00"))
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-04-02 23:59", true},
		{"2026-04-03 00:00", false},
		{"2026-04-03 12:00", false},
		{"2026-04-04 12:00", false},
		{"2026-04-05 12:00", false},
		{"2026-04-06 00:00", true},
	} {
		if got := cal.BusinessDay(at(tc.at)); got != tc.want {
			t.Errorf("BusinessDay(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    string
		want  []string
		lines []string // bad lines reported
	}{
		{"empty", "", nil, nil},
		{"dates, comments and blank lines", "# public holidays\n2026-12-25\n\n  2026-01-01  # new year\n2026-12-25\n", []string{"2026-01-01", "2026-12-25"}, nil},
		{"every bad line reported", "2026-12-25\n25.12.2026\n2026-02-30\nchristmas\n", nil, []string{"line 2", "line 3", "line 4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cal, err := calendar.Parse(strings.NewReader(tc.in))
			if tc.lines != nil {
				if !errors.Is(err, calendar.ErrSyntax) {
					t.Fatalf("err = %v, want ErrSyntax", err)
				}
				for _, l := range tc.lines {
					if !strings.Contains(err.Error(), l+":") {
						t.Errorf("error %q does not name %s", err, l)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range cal.Holidays() {
				got = append(got, d.Format(time.DateOnly))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("holidays %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	if c, err := calendar.Load(""); err != nil || c.Len() != 0 {
		t.Fatalf("Load(\"\") = %d holidays, %v; want none", c.Len(), err)
	}
	if _, err := calendar.Load(t.TempDir() + "/missing"); err == nil {
		t.Fatal("a missing file loaded")
	}
}

// Package calendar reckons business time: weekdays (Monday to Friday, in
// UTC) that are not holidays. A Calendar is built from a list of holiday
// dates (Parse, Load: one YYYY-MM-DD a line) and answers with pure
// functions of its arguments, so a read model that computes a due date
// with it gives the same answer live and rebuilt, as long as the calendar
// is the same.
package calendar

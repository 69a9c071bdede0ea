package domain

import "regexp"

// Erased is what every personal value of a forgotten person reads as: a
// contact's name, email and phone once ForgetContact destroyed the key its
// events were sealed with (internal/pii), and in the state its
// ContactForgotten event leaves. One marker everywhere, so that a read
// model, an export and the activity log all show the same thing.
const Erased = "[erased]"

// MaxPhoneLen bounds a contact's phone number, in characters.
const MaxPhoneLen = 30

var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()./-]{2,29}$`)

// ValidPhone reports whether v looks like a phone number: an optional
// leading '+', then 3 to 30 digits, spaces, parentheses, dots, slashes and
// hyphens, starting with a digit. The empty phone (none given) is valid.
func ValidPhone(v string) bool { return v == "" || phonePattern.MatchString(v) }

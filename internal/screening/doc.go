// Package screening is the embargo screening of DOMAIN.md [seed]: it
// checks company and person names against a restricted-party list, and
// keeps the 6-hour wait of principals denied access while a hold stands.
//
// The list (List) is a CSV file the operator can replace (see Parse for
// the format; deploy/restricted-parties.csv is the sample shipped and
// embedded as the default), loaded once at start. Matching is exact on
// normalised names, never on fragments: case, accents, punctuation and
// white space do not count, nor, for organisations, trailing legal forms
// (names.FoldCompany); person names match in any word order. An entry
// ending in " *" is the list's explicit request for a wider match.
//
// The wait (Waits) lives in PostgreSQL, so that it survives restarts and
// every instance of the service answers a denied principal alike.
package screening

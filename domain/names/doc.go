// Package names normalises company and person names for comparison and
// search, and checks the shape of the identifiers people type (domains,
// email addresses).
package names

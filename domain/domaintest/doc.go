// Package domaintest runs Given/When/Then scenarios against any aggregate:
// Given events folded with Evolve (plus an optional adjustment standing in
// for events that do not exist yet), When a command decided with Decide,
// Then exactly these events, or an error matching a domain sentinel (with
// the rule identifier or the invalid fields named). Every scenario is
// decided twice on freshly folded states and must give the same answer
// without changing its input: Decide is pure.
package domaintest

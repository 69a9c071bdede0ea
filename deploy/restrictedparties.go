package deploy

import _ "embed"

//go:embed restricted-parties.csv
var restrictedParties string

// RestrictedParties is the sample restricted-party list shipped in
// restricted-parties.csv (invented entries, see its header), the list the
// service screens against when none is given.
func RestrictedParties() string { return restrictedParties }

package license

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// UpcastTransferredV1 turns a stored license.transferred version 1 payload
// into version 2. Version 2 only adds approval_case, which a version 1
// transfer did not have: the members are kept as written, so the version 2
// event has exactly the values the version 1 event decoded to and no
// approval case. A payload that is not a JSON object is an error.
func UpcastTransferredV1(data json.RawMessage) (json.RawMessage, error) {
	var v1 map[string]json.RawMessage
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, fmt.Errorf("license.transferred v1: %w", err)
	}
	if v1 == nil {
		return nil, fmt.Errorf("license.transferred v1: payload is null, not an object")
	}
	// A member approval_case (in any case) was ignored by version 1, and
	// must not become the version 2 field.
	for k := range v1 {
		if bytes.EqualFold([]byte(k), []byte("approval_case")) {
			delete(v1, k)
		}
	}
	return json.Marshal(v1)
}

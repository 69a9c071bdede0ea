package account

import (
	"encoding/json"
	"fmt"
	"strings"
)

// UpcastAddressChangedV1 turns a stored account.address_changed version 1
// payload into version 2: address and region become to, old_address and
// old_region become from, account_id stays. A member is matched as
// encoding/json matched it when decoding version 1 (by name, case
// insensitively; members of no field are ignored), and its value is kept
// as written, so the version 2 event has exactly the values the version 1
// event decoded to. A payload that is not a JSON object is an error.
func UpcastAddressChangedV1(data json.RawMessage) (json.RawMessage, error) {
	var v1 map[string]json.RawMessage
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, fmt.Errorf("account.address_changed v1: %w", err)
	}
	if v1 == nil {
		return nil, fmt.Errorf("account.address_changed v1: payload is null, not an object")
	}
	var accountID json.RawMessage
	from, to := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for k, v := range v1 {
		switch foldedName(k, "account_id", "address", "region", "old_address", "old_region") {
		case "account_id":
			accountID = v
		case "address":
			to["address"] = v
		case "region":
			to["region"] = v
		case "old_address":
			from["address"] = v
		case "old_region":
			from["region"] = v
		}
	}
	v2 := map[string]json.RawMessage{}
	if accountID != nil {
		v2["account_id"] = accountID
	}
	var err error
	if v2["from"], err = json.Marshal(from); err != nil {
		return nil, err
	}
	if v2["to"], err = json.Marshal(to); err != nil {
		return nil, err
	}
	return json.Marshal(v2)
}

// foldedName returns the one of names that key equals under Unicode case
// folding, as encoding/json matches a member to a field, or "".
func foldedName(key string, names ...string) string {
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return n
		}
	}
	return ""
}

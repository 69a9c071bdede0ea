package api

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/internal/command"
)

func TestAllOptional(t *testing.T) {
	type inner struct {
		A string `json:"a,omitempty"`
	}
	type requiredInner struct {
		B string `json:"b"`
	}
	cases := []struct {
		name string
		v    any
		want bool
	}{
		{"NoBody", &NoBody{}, true},
		{"FulfilOrder: optional due date", &command.FulfilOrderInput{}, true},
		{"ApproveCase: optional note", &command.ApproveCaseInput{}, true},
		{"ProvideInformation: both fields optional", &command.ProvideInformationInput{}, true},
		{"CancelOrder: reason required", &command.CancelOrderInput{}, false},
		{"SetVATNumber: an empty number is a removal, said explicitly", &command.SetVATNumberInput{}, false},
		{"RegisterAccount", &command.RegisterAccountInput{}, false},
		{"SubmitOrder: mostly optional, lines required", &command.SubmitOrderInput{}, false},
		{"omitzero", &struct {
			N int `json:"n,omitzero"`
		}{}, true},
		{"omitempty as a name, not an option", &struct {
			N int `json:"omitempty"`
		}{}, false},
		{"untagged exported field", &struct{ N int }{}, false},
		{"ignored and unexported fields", &struct {
			N int `json:"-"`
			n int
		}{}, true},
		{"embedded optional struct", &struct {
			inner
			C string `json:"c,omitempty"`
		}{}, true},
		{"embedded struct with a required field", &struct{ requiredInner }{}, false},
		{"not a pointer", command.FulfilOrderInput{}, false},
		{"pointer to a non-struct", new(map[string]string), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := allOptional(reflect.TypeOf(c.v)); got != c.want {
				t.Errorf("allOptional(%T) = %v, want %v", c.v, got, c.want)
			}
		})
	}
}

// TestDecodeStrictEmptyBody: an empty body is {} where nothing is
// required, and refused (400, the body is required) everywhere else; a
// body that is there must be one JSON object.
func TestDecodeStrictEmptyBody(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		v      any
		status int // 0: accepted
	}{
		{"empty, nothing required", "", &command.FulfilOrderInput{}, 0},
		{"white space, nothing required", " \r\n\t", &command.ApproveCaseInput{}, 0},
		{"empty, no body at all", "", &NoBody{}, 0},
		{"{} , nothing required", "{}", &command.FulfilOrderInput{}, 0},
		{"empty, a field required", "", &command.CancelOrderInput{}, http.StatusBadRequest},
		{"white space, a field required", "  ", &command.RegisterAccountInput{}, http.StatusBadRequest},
		{"null, nothing required", "null", &command.FulfilOrderInput{}, http.StatusBadRequest},
		{"null, a field required", " null ", &command.CancelOrderInput{}, http.StatusBadRequest},
		{"a string", `"x"`, &command.FulfilOrderInput{}, http.StatusBadRequest},
		{"a number", `1`, &NoBody{}, http.StatusBadRequest},
		{"an array", `[]`, &command.CancelOrderInput{}, http.StatusBadRequest},
		{"an unknown field where nothing is required", `{"x":1}`, &command.ApproveCaseInput{}, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := decodeStrict([]byte(c.body), c.v)
			if c.status == 0 {
				if err != nil {
					t.Fatalf("decodeStrict(%q, %T) = %v, want accepted", c.body, c.v, err)
				}
				if !reflect.ValueOf(c.v).Elem().IsZero() {
					t.Fatalf("decodeStrict(%q) set %+v", c.body, c.v)
				}
				return
			}
			var re *requestError
			if !errors.As(err, &re) || re.status != c.status {
				t.Fatalf("decodeStrict(%q, %T) = %v, want a %d request error", c.body, c.v, err, c.status)
			}
		})
	}
	if err := decodeStrict(nil, &command.CancelOrderInput{}); err == nil || err.Error() != "a JSON object body is required" {
		t.Fatalf("empty body with a required field: %v", err)
	}
}

type embedded struct {
	C string `json:"c"`
}

// TestDecodeStrictRefusals: each refusal is a 400 whose detail says what
// is wrong, quoting at most a short piece of what was sent.
func TestDecodeStrictRefusals(t *testing.T) {
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	cases := []struct {
		name, body string
		v          any
		detail     string
	}{
		{"a member twice", `{"tag":"a","tag":"b"}`, &command.TagAccountInput{}, "field tag is given more than once"},
		{"a member twice, in another case", `{"tag":"a","TAG":"b"}`, &command.TagAccountInput{}, "field TAG is given more than once"},
		{"a member twice, nested", `{"address":{"country":"DE","country":"FR"}}`, &command.ChangeAddressInput{}, "field country is given more than once"},
		{"a key twice in free JSON", `{"proposed":{"kind":"split","kind":"merge"}}`, &command.OpenCaseInput{}, "field kind is given more than once"},
		{"a member twice, in an array's object", `{"parts":[{"quantity":1},{"quantity":2,"quantity":3}]}`, &command.SplitLicenseInput{}, "field quantity is given more than once"},
		{"a fraction for a whole number", `{"discount_level":1.5}`, &command.SetDiscountLevelInput{}, "field discount_level must be a whole number within range, not 1.5"},
		{"a whole number out of range", `{"discount_level":99999999999999999999}`, &command.SetDiscountLevelInput{}, "field discount_level must be a whole number within range, not 99999999999999999999"},
		{"a string for a whole number", `{"discount_level":"3"}`, &command.SetDiscountLevelInput{}, "field discount_level must be a whole number, not string"},
		{"a long number is clipped", `{"discount_level":` + strings.Repeat("9", 500) + `}`, &command.SetDiscountLevelInput{},
			"field discount_level must be a whole number within range, not " + strings.Repeat("9", 64) + "…"},
		{"a long unknown field is clipped", `{"` + strings.Repeat("é", 40) + `":1}`, &command.TagAccountInput{}, "unknown field " + strings.Repeat("é", 32) + "…"},
		{"33 levels", `{"proposed":` + deep(32) + `}`, &command.OpenCaseInput{}, "JSON nested deeper than 32 levels"},
		{"brackets without end", strings.Repeat("[", 5000), &command.OpenCaseInput{}, "the body must be a JSON object"},
		{"objects without end", `{"proposed":` + strings.Repeat(`{"a":`, 5000), &command.OpenCaseInput{}, "JSON nested deeper than 32 levels"},
		{"an unknown field", `{"tag":"vip","force":true}`, &command.TagAccountInput{}, "unknown field force"},
		{"a name in another case", `{"Tag":"vip"}`, &command.TagAccountInput{}, "unknown field Tag (did you mean tag?)"},
		{"a nested name in another case", `{"address":{"COUNTRY":"DE"}}`, &command.ChangeAddressInput{}, "unknown field COUNTRY (did you mean country?)"},
		{"an unknown field in an array's object", `{"parts":[{"quantity":1},{"qty":2}]}`, &command.SplitLicenseInput{}, "unknown field qty"},
		{"an unknown field of an embedded struct", `{"a":"x","b":"y"}`, &struct {
			embedded
			A string `json:"a"`
		}{}, "unknown field b"},
		{"malformed after a nested value", `{"address":{"country":"DE"},}`, &command.ChangeAddressInput{}, "malformed JSON at byte 28"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := decodeStrict([]byte(c.body), c.v)
			var re *requestError
			if !errors.As(err, &re) || re.status != http.StatusBadRequest || re.detail != c.detail {
				t.Fatalf("decodeStrict(%.80q) = %v, want 400 %q", c.body, err, c.detail)
			}
		})
	}
	// At the limit, names that repeat only across objects, any names
	// where the field takes any JSON, and the names of embedded structs
	// pass.
	var in command.OpenCaseInput
	ok := `{"request_type":"general","proposed":` + deep(31) + `}`
	if err := decodeStrict([]byte(ok), &in); err != nil {
		t.Fatalf("32 levels: %v", err)
	}
	if err := decodeStrict([]byte(`{"proposed":{"Kind":"split","parts":[{"Quantity":1,"quantity":2}]}}`), &in); err != nil {
		t.Fatalf("names within a json.RawMessage: %v", err)
	}
	var withEmbedded struct {
		embedded
		Inner  *embedded         `json:"inner"`
		Labels map[string]string `json:"labels"`
	}
	if err := decodeStrict([]byte(`{"c":"x","inner":{"c":"y"},"labels":{"Any Key":"z","any key":"w"}}`), &withEmbedded); err != nil || withEmbedded.C != "x" || withEmbedded.Inner.C != "y" {
		t.Fatalf("embedded, pointer and map members: %v %+v", err, withEmbedded)
	}
	var split command.SplitLicenseInput
	if err := decodeStrict([]byte(`{"parts":[{"quantity":1},{"quantity":2}],"approval_case":"CASE-000001"}`), &split); err != nil || len(split.Parts) != 2 {
		t.Fatalf("the same name in two objects: %v %+v", err, split)
	}
}

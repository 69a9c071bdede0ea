package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// readBody reads the whole request body, refusing bodies over MaxBodyBytes
// with 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &requestError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("the request body exceeds %d bytes", MaxBodyBytes)}
	}
	if err != nil {
		return nil, badRequest("the request body could not be read")
	}
	return body, nil
}

// decodeStrict decodes body into v: exactly one JSON object, no unknown
// fields, no trailing data, valid UTF-8; errors name the field.
func decodeStrict(body []byte, v any) error {
	if _, none := v.(*NoBody); none && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("a JSON object body is required")
	}
	if !utf8.Valid(body) {
		return badRequest("the body is not valid UTF-8")
	}
	if err := checkDepth(body, 32); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		msg := fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		return badRequest("field "+field+" "+msg, domain.FieldProblem{Field: field, Message: msg})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("unknown field "+name, domain.FieldProblem{Field: name, Message: "is not a field of this request"})
	}
	return badRequest("malformed JSON: " + err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return k
}

// checkDepth refuses JSON nested deeper than max, before decoding it.
func checkDepth(body []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return badRequest(fmt.Sprintf("JSON nested deeper than %d levels", max))
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

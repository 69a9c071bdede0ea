package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrValidation is matched by a *ValidationError: the command is malformed
// (a missing field, a bad format) whatever the state.
var ErrValidation = errors.New("domain: validation failed")

// ErrRuleViolation is matched by a *RuleError: the command is well formed
// but a business rule refuses it in the current state.
var ErrRuleViolation = errors.New("domain: rule violation")

// ErrForbidden is matched by a *ForbiddenError: the principal may not do
// this.
var ErrForbidden = errors.New("domain: forbidden")

// ErrNotFound reports that the aggregate a command addresses does not exist.
var ErrNotFound = errors.New("domain: not found")

// ErrDuplicate reports that what the command would create already exists.
var ErrDuplicate = errors.New("domain: duplicate")

// FieldProblem is one problem with one field of a command.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in a command. It matches
// ErrValidation.
type ValidationError struct {
	Problems []FieldProblem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Is reports whether target is ErrValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// Problems collects field problems; Err returns nil when there are none.
type Problems []FieldProblem

// Add records a problem with field.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns a *ValidationError holding the problems, or nil.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// RuleError names the business rule that refused a command. It matches
// ErrRuleViolation.
type RuleError struct {
	Rule   string // a stable identifier, e.g. "rename.evidence_document"
	Detail string // what a person should read
}

func (e *RuleError) Error() string { return e.Rule + ": " + e.Detail }

// Is reports whether target is ErrRuleViolation.
func (e *RuleError) Is(target error) bool { return target == ErrRuleViolation }

// Rule returns a *RuleError.
func Rule(rule, format string, args ...any) error {
	return &RuleError{Rule: rule, Detail: fmt.Sprintf(format, args...)}
}

// ForbiddenError says why a principal may not act. It matches ErrForbidden.
type ForbiddenError struct {
	Reason string
}

func (e *ForbiddenError) Error() string { return "forbidden: " + e.Reason }

// Is reports whether target is ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// Forbidden returns a *ForbiddenError.
func Forbidden(format string, args ...any) error {
	return &ForbiddenError{Reason: fmt.Sprintf(format, args...)}
}

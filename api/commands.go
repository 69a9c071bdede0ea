package api

import (
	"net/http"

	"github.com/channeldesk/channeldesk/internal/command"
)

// commandHandler adapts a command of the command service to HTTP: it reads
// and strictly decodes the body into In (a command with no body decodes
// nothing but still refuses one that is not empty or "{}"), builds the
// metadata (principal, correlation ID, client IP, Idempotency-Key), runs
// the command and answers with status and the command's result.
func commandHandler[In any](status int, run func(r *http.Request, m command.Meta, in In) (command.Result, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		_, m, err := decodeCommand(w, r, &in)
		if err != nil {
			return err
		}
		res, err := run(r, m, in)
		if err != nil {
			return err
		}
		writeJSON(w, status, res)
		return nil
	}
}

// NoBody is the input of commands that take nothing but the path (DELETE
// revocations, removals): the body must be empty or {}.
type NoBody struct{}

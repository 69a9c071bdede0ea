package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// binary builds the channeldesk command once per test binary run.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "channeldesk")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestServeEndToEndAndCleanStop runs the real binary: serve on a fresh
// database with the embedded NATS server, a token from `token create`, a
// command through HTTP, then SIGTERM: the process must stop cleanly (exit 0)
// and promptly.
func TestServeEndToEndAndCleanStop(t *testing.T) {
	bin := binary(t)
	dbURL := pgtest.URL(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--embedded-nats-port", "-1", "--data-dir", dir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var base string
	select {
	case l := <-lines:
		_, after, ok := strings.Cut(l, "listening on ")
		if !ok {
			t.Fatalf("unexpected first line %q", l)
		}
		base, _, _ = strings.Cut(after, " ")
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start: %s", stderr.String())
	}
	tokCmd := exec.Command(bin, "token", "create", "--staff", "ada", "--roles", "admin")
	tokCmd.Env = cmd.Env
	tok, err := tokCmd.Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	req, _ := http.NewRequest("POST", base+"/v1/accounts", strings.NewReader(`{"name":"Binary Test GmbH","primary_domain":"binary.example","address":{"country":"DE"}}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ID       string `json:"id"`
		Position int64  `json:"position"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if res.StatusCode != 201 || body.ID == "" {
		t.Fatalf("register: %d %+v", res.StatusCode, body)
	}
	// Wait until the customer list has applied the command, so the stop
	// below must keep that checkpoint.
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/v1/customers?min_position=%d", base, body.Position), nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("read your write: %v %v", res, err)
	}
	res.Body.Close()
	for _, p := range []string{"/healthz", "/readyz"} {
		r, err := http.Get(base + p)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, r, err)
		}
		r.Body.Close()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve did not exit cleanly on SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of SIGTERM")
	}
	// The projection's checkpoint survived the stop at or past the command.
	statusCmd := exec.Command(bin, "projections", "status", "--json")
	statusCmd.Env = cmd.Env
	out, err := statusCmd.Output()
	if err != nil {
		t.Fatalf("projections status: %v", err)
	}
	var st []struct {
		Name     string
		Position int64
	}
	if err := json.Unmarshal(out, &st); err != nil || len(st) == 0 {
		t.Fatalf("status %s: %v", out, err)
	}
	if st[0].Position < body.Position {
		t.Fatalf("checkpoint %d behind the command's position %d after a clean stop", st[0].Position, body.Position)
	}
}

// TestUnreachablePostgresIsOneClearLine checks the error a newcomer sees
// without PostgreSQL: one line, saying how to start one.
func TestUnreachablePostgresIsOneClearLine(t *testing.T) {
	var out, errOut strings.Builder
	err := run([]string{"migrate", "--database-url", "postgres://postgres@127.0.0.1:1/channeldesk?sslmode=disable&connect_timeout=2"}, &out, &errOut)
	if err == nil {
		t.Fatal("migrate succeeded without PostgreSQL")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "cannot reach PostgreSQL at 127.0.0.1:1") || !strings.Contains(msg, "start PostgreSQL") {
		t.Fatalf("unclear error: %q", msg)
	}
}

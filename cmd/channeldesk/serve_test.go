package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// TestServeRefusesABadRestrictedPartyList: a list that cannot be used
// stops the start with one clear line naming the file and the line, before
// anything connects (the database URL here leads nowhere).
func TestServeRefusesABadRestrictedPartyList(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "parties.csv")
	if err := os.WriteFile(bad, []byte("# list\nname,kind,source\nGood Name Ltd,organisation,X-1\nBad Name,company,X-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nowhere := "postgres://postgres@127.0.0.1:1/channeldesk?sslmode=disable&connect_timeout=2"
	for name, args := range map[string][]string{
		"flag": {"serve", "--database-url", nowhere, "--restricted-parties", bad},
		"env":  {"serve", "--database-url", nowhere},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "env" {
				t.Setenv("RESTRICTED_PARTIES", bad)
			}
			var out, errOut strings.Builder
			err := run(args, &out, &errOut)
			if err == nil {
				t.Fatal("serve started with a bad restricted-party list")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, bad+", line 4") || !strings.Contains(msg, `kind "company"`) {
				t.Fatalf("unclear error: %q", msg)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		var out, errOut strings.Builder
		err := run([]string{"serve", "--database-url", nowhere, "--restricted-parties", filepath.Join(dir, "none.csv")}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "none.csv") || strings.Contains(err.Error(), "PostgreSQL") {
			t.Fatalf("missing list: %v", err)
		}
	})
}

// TestServeRefusesBadTLSAndRateFlags: a certificate without its key (or
// the other way round), a pair that cannot be loaded, rate flags and a
// timer interval out of range and a bad holiday file stop the start with one clear line, before anything connects (the
// database URL here leads nowhere).
func TestServeRefusesBadTLSAndRateFlags(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeTestCertificate(t, dir)
	holidays := filepath.Join(dir, "holidays.txt")
	if err := os.WriteFile(holidays, []byte("2026-12-25\n25.12.2026\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nowhere := "postgres://postgres@127.0.0.1:1/channeldesk?sslmode=disable&connect_timeout=2"
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"cert without key":    {[]string{"--tls-cert", cert}, "both a certificate and its key"},
		"key without cert":    {[]string{"--tls-key", key}, "both a certificate and its key"},
		"missing cert":        {[]string{"--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", key}, "none.pem"},
		"key for the cert":    {[]string{"--tls-cert", key, "--tls-key", cert}, "load TLS certificate"},
		"negative rate":       {[]string{"--rate-limit", "-5"}, "--rate-limit -5"},
		"zero burst":          {[]string{"--rate-burst", "0"}, "--rate-burst 0"},
		"zero timer interval": {[]string{"--timer-interval", "0s"}, "--timer-interval 0s"},
		"zero timer lease":    {[]string{"--timer-lease", "0s"}, "--timer-lease 0s"},
		"bad holiday file":    {[]string{"--holidays", holidays}, holidays + ": line 2"},
		"missing holidays":    {[]string{"--holidays", filepath.Join(dir, "none.txt")}, "none.txt"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut strings.Builder
			err := run(append([]string{"serve", "--database-url", nowhere}, c.args...), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "PostgreSQL") {
				t.Fatalf("want an error naming %q before connecting, got %v", c.want, err)
			}
		})
	}
}

// TestServeHTTPS: serve with --tls-cert and --tls-key answers over HTTPS
// (TLS 1.2 or later) to a client that trusts the certificate; a client
// that does not trust it, and a plain-HTTP request, are refused.
func TestServeHTTPS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeTestCertificate(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines, stdout := io.Pipe()
	var stderr lockedBuilder
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--database-url", pgtest.URL(t), "--addr", "127.0.0.1:0", "--embedded-nats-port", "-1",
			"--data-dir", filepath.Join(dir, "data"), "--log-level", "warn", "--tls-cert", cert, "--tls-key", key}, stdout, &stderr)
		stdout.Close()
	}()
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(lines)
		if sc.Scan() {
			first <- sc.Text()
		}
		io.Copy(io.Discard, lines)
		close(first)
	}()
	var base string
	select {
	case l, ok := <-first:
		_, after, found := strings.Cut(l, "listening on ")
		if !ok || !found || !strings.HasPrefix(after, "https://") {
			t.Fatalf("first line %q; want listening on https://...; stderr: %s (%v)", l, stderr.String(), ok)
		}
		base, _, _ = strings.Cut(after, " ")
	case err := <-done:
		t.Fatalf("serve stopped: %v; stderr: %s", err, stderr.String())
	}

	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("the test certificate does not parse")
	}
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	defer trusting.CloseIdleConnections()
	for path, want := range map[string]int{"/healthz": 200, "/v1/customers": 401} {
		res, err := trusting.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s over HTTPS: %v", path, err)
		}
		res.Body.Close()
		if res.StatusCode != want || res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
			t.Fatalf("GET %s: %d over %+v; want %d over TLS 1.2+", path, res.StatusCode, res.TLS, want)
		}
		if res.ProtoMajor != 2 {
			t.Errorf("GET %s spoke %s; want HTTP/2 over TLS", path, res.Proto)
		}
	}
	if _, err := http.Get(base + "/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a client that does not trust the certificate: %v; want a certificate error", err)
	}
	plain := "http://" + strings.TrimPrefix(base, "https://")
	if res, err := http.Get(plain + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the HTTPS port answered %d", res.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// writeTestCertificate writes a self-signed ECDSA certificate for
// 127.0.0.1 and localhost, and its key, as PEM files in dir.
func writeTestCertificate(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "channeldesk test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// lockedBuilder is a strings.Builder safe for concurrent use.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

package tenant

import (
	"encoding/base64"
	"fmt"
	"io"
	"sync"

	"github.com/oobe-dev/oobe/internal/guid"
)

// userCodeAlphabet leaves out letters and digits people confuse (0/O, 1/I/L) so a code read aloud survives.
const userCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// userCodeLen is Entra's user code length.
const userCodeLen = 9

// randSource serialises reads from the configured reader, which need not be safe for concurrent use.
type randSource struct {
	mu sync.Mutex
	r  io.Reader
}

func (s *randSource) read(n int) ([]byte, error) {
	b := make([]byte, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.ReadFull(s.r, b); err != nil {
		return nil, fmt.Errorf("reading the random source: %w", err)
	}
	return b, nil
}

// token returns n random bytes as unpadded base64url, for codes and opaque tokens.
func (s *randSource) token(n int) (string, error) {
	b, err := s.read(n)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// guid returns a random version-4 GUID in lower case.
func (s *randSource) guid() (string, error) {
	b, err := s.read(16)
	if err != nil {
		return "", err
	}
	return formatGUID(b), nil
}

// userCode returns a code of userCodeLen characters from userCodeAlphabet without modulo bias.
func (s *randSource) userCode() (string, error) {
	limit := 256 - 256%len(userCodeAlphabet)
	out := make([]byte, 0, userCodeLen)
	for len(out) < userCodeLen {
		b, err := s.read(userCodeLen)
		if err != nil {
			return "", err
		}
		for _, c := range b {
			if int(c) < limit && len(out) < userCodeLen {
				out = append(out, userCodeAlphabet[int(c)%len(userCodeAlphabet)])
			}
		}
	}
	return string(out), nil
}

// formatGUID shapes 16 bytes as a version-4 GUID string.
func formatGUID(b []byte) string { return guid.V4(b) }

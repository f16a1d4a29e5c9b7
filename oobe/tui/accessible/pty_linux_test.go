package accessible_test

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oobe-dev/oobe/oobe"
)

// openPTY opens a pseudo-terminal: the master (what the person types into, and what the
// terminal echoes) and the slave (the program's input).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlocking the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("naming the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// syncBuffer is the run's output, read while the run writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitUntil polls cond until it holds, failing the test after a while.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAtARealTerminalThePassphraseDoesNotEcho types into a pseudo-terminal as a person
// would: the answers echo, the passphrase does not, and the echo is back on afterwards.
func TestAtARealTerminalThePassphraseDoesNotEcho(t *testing.T) {
	master, slave := openPTY(t)
	var echoed syncBuffer
	go func() { // what the terminal shows of what is typed
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			echoed.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	echo := func() bool {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		return err == nil && tio.Lflag&unix.ECHO != 0
	}
	if !echo() {
		t.Fatal("the pseudo-terminal does not echo to begin with")
	}

	w := newWorld(t)
	out := &syncBuffer{}
	w.opts.In, w.opts.Out = slave, out
	type result struct {
		o   *oobe.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := w.run(t)
		done <- result{o, err}
	}()
	// Region, keyboard, no second keyboard, the secured Wi-Fi network.
	master.WriteString("1\n1\n1\n2\n")
	waitUntil(t, "the passphrase prompt", func() bool { return strings.Contains(out.String(), "Passphrase for CONTOSO-GUEST: ") })
	waitUntil(t, "the echo to be turned off", func() bool { return !echo() })
	master.WriteString(passphrase + "\n")
	waitUntil(t, "the sign-in question", func() bool { return strings.Contains(out.String(), "How do you want to sign in?") })
	master.WriteString("1\n3\n") // the device code; Set up as new PC
	r := <-done
	if r.err != nil {
		t.Fatalf("Run: %v\n%s", r.err, out.String())
	}
	assertInOrder(t, choices(r.o), []string{"Network: CONTOSO-GUEST (Wi-Fi, wpa2Personal; passphrase entered)", "Set up as new PC"})
	waitUntil(t, "the answers' echo", func() bool { return strings.Count(echoed.String(), "\n") >= 6 })
	if strings.Contains(echoed.String(), passphrase) || strings.Contains(out.String(), passphrase) {
		t.Errorf("the passphrase showed: echoed %q", echoed.String())
	}
	if !echo() {
		t.Error("the echo is still off after the run")
	}
}

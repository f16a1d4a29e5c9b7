package sim

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
)

// pipeListener hands the world's own connections to its tenant in memory. The tenant is
// still served on its loopback port for everyone else (a person's browser, oobe serve's
// clients); the world's HTTP clients reach the same http.Server through net.Pipe instead,
// which spares a replay's scenario its loopback sockets: their system calls and the poller
// were the largest cost after the signing (docs/performance.md). HTTP, TLS and every byte
// on the wire are the same; only the kernel is left out.
type pipeListener struct {
	addr  net.Addr // the loopback listener's, so the server sees the address it serves on
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	// dialed counts the connections made, for tests.
	dialed atomic.Int64
}

func newPipeListener(addr net.Addr) *pipeListener {
	return &pipeListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the server's end of the next connection a world client dials.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and refuses later dials; connections already made stay until the server
// closes them.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

// dial makes a connection to the server: the client's end, once the server has accepted its own.
func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	// The tenant reads RemoteAddr: give both ends loopback addresses, as a socket would have.
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	select {
	case l.conns <- addrConn{Conn: server, local: l.addr, remote: peer}:
		l.dialed.Add(1)
		return addrConn{Conn: client, local: peer, remote: l.addr}, nil
	case <-l.done:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, &net.OpError{Op: "dial", Net: "pipe", Addr: l.addr, Err: net.ErrClosed}
}

// addrConn is a pipe end with the addresses of a loopback connection.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c addrConn) LocalAddr() net.Addr  { return c.local }
func (c addrConn) RemoteAddr() net.Addr { return c.remote }

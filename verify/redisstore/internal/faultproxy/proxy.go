// Package faultproxy is a TCP proxy on loopback between Redis clients and
// one Redis server, with faults that tests switch on and off: added latency
// on replies, a black hole (connections accepted and read, never answered),
// and a cut after Redis ran a command (its reply dropped and the connection
// closed, so that the client sees a broken connection and may retry a
// command that already ran).
//
// The proxy reads the RESP stream in both directions, so it knows which
// reply answers which command. A connection that turns into a stream
// (replication after PSYNC or SYNC, SUBSCRIBE, MONITOR) is forwarded as raw
// bytes from then on: latency and the black hole still apply to it, cuts
// do not. A replica can replicate through the proxy; with a latency, the
// writes held in the proxy are lost when it is closed, as on a lagging
// replica whose master dies.
package faultproxy

import (
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// Proxy forwards connections to a Redis server; make it with New or Start.
// Its methods are safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup

	mu          sync.Mutex
	latency     time.Duration
	blackHole   bool
	cutsLeft    int
	cutCommands []string // lower case; empty: any but handshake
	cuts        int
	conns       map[*conn]struct{}
	closed      bool
}

// handshake are the commands a client sends on a new connection; a cut
// without named commands spares them.
var handshake = []string{"hello", "auth", "client", "select", "readonly"}

// streams are the commands after which a connection carries a stream.
var streams = []string{"psync", "sync", "subscribe", "psubscribe", "ssubscribe", "monitor"}

// New starts a proxy to the Redis server at target on a free loopback port.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, conns: map[*conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Start is New for a test: it fails t on an error and closes the proxy
// when t ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr is the address clients connect to instead of the server's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetLatency delays each reply (and each chunk of a stream) read from the
// server from now on by d before the client gets it; replies keep their
// order and a pipeline's replies are delayed together, not one after the
// other. Zero forwards at once.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// SetBlackHole turns the black hole on or off. While it is on, the proxy
// accepts connections and reads what clients send, and forwards nothing
// either way: a call waits for an answer that never comes, as when a
// server stalls or a network drops packets. A connection that lost
// anything to the black hole stays a black hole after it is turned off
// (its requests and replies no longer match); new ones work again.
func (p *Proxy) SetBlackHole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackHole = on
}

// CutAfterReply arms n cuts: for each of the next n replies to one of
// commands (any command when none are named, except the handshake a client
// sends on a new connection: HELLO, AUTH, CLIENT, SELECT, READONLY), the
// proxy forwards the command, lets the server run it, drops the reply and
// closes the connection. A client sees a connection closed while it read,
// and may send the command again on a new connection. Names are matched
// case-insensitively; a new call replaces what remains of the last one.
func (p *Proxy) CutAfterReply(n int, commands ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutsLeft = n
	p.cutCommands = nil
	for _, c := range commands {
		p.cutCommands = append(p.cutCommands, lower(c))
	}
}

// Cuts is how many replies CutAfterReply has dropped so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Heal turns every fault off: no latency, no black hole, no cut armed.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency, p.blackHole, p.cutsLeft, p.cutCommands = 0, false, 0, nil
}

// DropConns closes every open connection, as a network blip would; new
// ones are accepted as before.
func (p *Proxy) DropConns() {
	p.mu.Lock()
	conns := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Close stops accepting, closes every connection (what latency held is
// lost) and waits until the proxy's goroutines ended.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.DropConns()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.open(client)
	}
}

// open starts forwarding a new client connection.
func (p *Proxy) open(client net.Conn) {
	p.mu.Lock()
	hole := p.blackHole
	p.mu.Unlock()
	c := &conn{p: p, client: client, hole: hole, done: make(chan struct{})}
	if !hole {
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = client.Close() // the server is down: the client sees its connection closed
			return
		}
		c.upstream = up
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.closeConns()
		return
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	if c.upstream != nil {
		p.wg.Add(2)
	}
	p.mu.Unlock()
	go c.requests()
	if c.upstream != nil {
		out := make(chan chunk, 4096)
		go c.replies(out)
		go c.write(out)
	}
}

// passes reports whether a frame read now goes on (false: the black hole
// takes it, and the connection stays a hole) and, when it does, its
// latency.
func (p *Proxy) passes(c *conn) (bool, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blackHole {
		c.setHole()
	}
	if c.isHole() {
		return false, 0
	}
	return true, p.latency
}

// cut reports whether the reply to command name is to be cut, and counts
// it.
func (p *Proxy) cut(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cutsLeft <= 0 {
		return false
	}
	if len(p.cutCommands) == 0 && slices.Contains(handshake, name) ||
		len(p.cutCommands) > 0 && !slices.Contains(p.cutCommands, name) {
		return false
	}
	p.cutsLeft--
	p.cuts++
	return true
}

func (p *Proxy) remove(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func lower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}

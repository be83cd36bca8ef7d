package faultproxy

import (
	"net"
	"slices"
	"sync"
	"time"
)

// conn is one client connection and its connection to the server.
type conn struct {
	p        *Proxy
	client   net.Conn
	upstream net.Conn // nil for a connection accepted into the black hole

	mu      sync.Mutex
	pending []string // names of the forwarded commands not yet answered
	hole    bool

	done      chan struct{}
	closeOnce sync.Once
}

// chunk is a reply (or a piece of a stream) and when to forward it.
type chunk struct {
	data []byte
	due  time.Time
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.closeConns()
		c.p.remove(c)
	})
}

func (c *conn) closeConns() {
	_ = c.client.Close()
	if c.upstream != nil {
		_ = c.upstream.Close()
	}
}

func (c *conn) setHole() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hole = true
}

func (c *conn) isHole() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hole
}

func (c *conn) push(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, name)
}

func (c *conn) pop() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return ""
	}
	name := c.pending[0]
	c.pending = c.pending[1:]
	return name
}

// requests forwards the client's commands to the server, command by
// command, until the connection carries a stream; then byte by byte.
func (c *conn) requests() {
	defer c.p.wg.Done()
	defer c.close()
	fr := newFrameReader(c.client)
	stream := false
	buf := make([]byte, 32<<10)
	for {
		var data []byte
		name := ""
		if stream {
			n, err := fr.r.Read(buf)
			if err != nil {
				return
			}
			data = buf[:n]
		} else {
			frame, cmd, err := fr.request()
			if err != nil {
				return
			}
			data, name = frame, cmd
		}
		if ok, _ := c.p.passes(c); !ok {
			continue
		}
		if !stream {
			c.push(name) // before the write: its reply cannot come sooner
			stream = slices.Contains(streams, name)
		}
		if _, err := c.upstream.Write(data); err != nil {
			return
		}
	}
}

// replies reads the server's replies and hands them to write, dropping or
// cutting them as the faults say.
func (c *conn) replies(out chan<- chunk) {
	defer c.p.wg.Done()
	defer close(out)
	defer c.close()
	fr := newFrameReader(c.upstream)
	stream := false
	for {
		var data []byte
		name := ""
		if stream {
			buf := make([]byte, 32<<10)
			n, err := fr.r.Read(buf)
			if err != nil {
				return
			}
			data = buf[:n]
		} else {
			frame, typ, err := fr.reply()
			if err != nil {
				return
			}
			data = frame
			if typ != '>' { // a push is not a reply
				name = c.pop()
			}
		}
		ok, latency := c.p.passes(c)
		if !ok {
			continue
		}
		if !stream && name != "" && c.p.cut(name) {
			return // the server ran it; the client never learns
		}
		stream = stream || slices.Contains(streams, name)
		select {
		case out <- chunk{data: data, due: time.Now().Add(latency)}:
		case <-c.done:
			return
		}
	}
}

// write forwards replies to the client when they are due.
func (c *conn) write(out <-chan chunk) {
	defer c.p.wg.Done()
	defer c.close()
	for ch := range out {
		if d := time.Until(ch.due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-c.done:
				t.Stop()
				return
			}
		}
		if _, err := c.client.Write(ch.data); err != nil {
			return
		}
	}
}

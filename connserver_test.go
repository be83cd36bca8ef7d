package otpkit_test

import (
	"net"
	"sync"
	"time"
)

// connServer is the connection bookkeeping of the hand-written test servers
// (rawServer, h2Server): it accepts on ln, runs serve on each connection in
// its own goroutine, closes the connection when serve returns, and can cut
// them all.
type connServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// start begins accepting on ln.
func (s *connServer) start(ln net.Listener, serve func(net.Conn)) {
	s.ln, s.conns = ln, map[net.Conn]struct{}{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[conn] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer func() {
					conn.Close()
					s.mu.Lock()
					delete(s.conns, conn)
					s.mu.Unlock()
				}()
				serve(conn)
			}()
		}
	}()
}

// settle waits, up to d, until every connection is closed, and reports
// whether that happened.
func (s *connServer) settle(d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return true
		}
	}
	return false
}

// close stops accepting, cuts every connection and waits for the
// connection goroutines.
func (s *connServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

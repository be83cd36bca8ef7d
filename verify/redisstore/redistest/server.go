package redistest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// kind is what a Server runs as.
type kind int

const (
	kindServer      kind = iota // a plain server or a replica
	kindClusterNode             // a Cluster node (its bus port is port+10000)
	kindSentinel                // a Sentinel
)

// Server is one redis-server process this package started: a server, a
// replica, a Cluster node or a Sentinel. Its address and data directory
// stay the same across Kill or Stop and Restart, so clients reconnect to
// it and it finds its data (and, for a Cluster node or a Sentinel, its
// view of the setup) again. Its methods are safe for concurrent use.
type Server struct {
	kind kind
	dir  string // data directory, also the working directory
	conf string // configuration file (the server may rewrite it)
	port int
	root string // deleted by Close, when the Server was made without a test

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil while stopped
	exited chan struct{} // closed when cmd ended
}

// errPortTaken: another process bound the port between freePort and the
// server's start.
var errPortTaken = errors.New("redistest: port taken")

// launch starts a new server with its data in dir, on a free port
// (choosing again when another process takes the port first).
func launch(dir string, k kind, conf func(port int) string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	name := "redis.conf"
	if k == kindSentinel {
		name = "sentinel.conf"
	}
	var err error
	for range 20 {
		var port int
		if port, err = freePort(k == kindClusterNode); err != nil {
			return nil, err
		}
		s := &Server{kind: k, dir: dir, conf: filepath.Join(dir, name), port: port}
		if err = os.WriteFile(s.conf, []byte(conf(port)), 0o600); err != nil {
			return nil, err
		}
		if err = s.Restart(); err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("redistest: no free port in 20 tries: %w", err)
}

// Addr is the server's address, host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Dir is the server's data directory (its working directory, holding its
// configuration, its data files and its log, redis.log).
func (s *Server) Dir() string { return s.dir }

// Log returns the server's log so far, for a test's failure message.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

// Running reports whether the server's process is running (it may be
// paused).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runningLocked()
}

func (s *Server) runningLocked() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Kill kills the server with SIGKILL, as a crash or an OOM kill would: it
// writes nothing more, so it keeps only what its persistence had already
// written (see WithAOF). Kill returns once the process is gone; killing a
// stopped server does nothing.
func (s *Server) Kill() { s.stop(os.Kill) }

// Stop shuts the server down as its service manager would (SIGTERM): it
// saves its data first (an RDB snapshot, and its append-only file when on).
func (s *Server) Stop() { s.stop(sigTerm) }

// Close kills the server and, for one made by NewServer, deletes its data.
func (s *Server) Close() {
	s.Kill()
	if s.root != "" {
		_ = os.RemoveAll(s.root)
	}
}

func (s *Server) stop(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	if sig != os.Kill && sigCont != nil {
		_ = s.cmd.Process.Signal(sigCont) // a paused server must run to shut down
	}
	select {
	case <-s.exited:
	case <-time.After(patience):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
}

// Pause stops the server's process (SIGSTOP) without ending it: it accepts
// connections and holds what it receives, but answers nothing until
// Resume, like a server stalled by a long fork or swapping. A replica
// paused applies none of its master's writes meanwhile.
func (s *Server) Pause() error { return s.signal(sigStop) }

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() error { return s.signal(sigCont) }

func (s *Server) signal(sig os.Signal) error {
	if sig == nil {
		return errors.New("redistest: pausing a server needs Unix signals")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.runningLocked() {
		return fmt.Errorf("redistest: %s is not running", s.Addr())
	}
	return s.cmd.Process.Signal(sig)
}

// Restart starts the server again after Kill or Stop, on the same port
// with the same data, and returns once it answers (after it loaded its
// data). Restarting a running server does nothing. It fails when the
// server does not answer within a minute, or when another process took its
// port meanwhile.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runningLocked() {
		return nil
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	args := []string{s.conf}
	if s.kind == kindSentinel {
		args = append(args, "--sentinel")
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = s.dir
	out, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	logFrom, _ := out.Seek(0, io.SeekEnd)
	cmd.Stdout, cmd.Stderr = out, out
	err = startProcess(cmd)
	_ = out.Close() // the child has its own descriptor
	if err != nil {
		return fmt.Errorf("redistest: starting redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := s.waitReady(exited, cmd.Process.Pid, logFrom); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return err
	}
	s.cmd, s.exited = cmd, exited
	return nil
}

// waitReady polls until the process pid answers PING on the server's port
// (a server loading its data answers LOADING), or it exits.
func (s *Server) waitReady(exited <-chan struct{}, pid int, logFrom int64) error {
	deadline := time.Now().Add(patience)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := s.answers(pid)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			log := s.Log()
			if int64(len(log)) >= logFrom {
				log = log[logFrom:]
			}
			if strings.Contains(log, "Address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("redistest: redis-server on %s exited at start:\n%s", s.Addr(), log)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redistest: redis-server on %s does not answer after %v: %v\n%s", s.Addr(), patience, err, s.Log())
		}
	}
}

// answers reports nil when the process pid (not some other process that
// took the port) answers PING.
func (s *Server) answers(pid int) error {
	rdb := s.client() // a new one each time: a pool backs off after failed dials
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return err
	}
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return err
	}
	if got := infoField(info, "process_id"); got != strconv.Itoa(pid) {
		return fmt.Errorf("process %s answers, not %d", got, pid)
	}
	return nil
}

// client is a plain client of the server for this package's own commands:
// no retries (the waits poll), RESP2 (no handshake to fall back from).
func (s *Server) client() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: s.Addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1, DialerRetries: 1, PoolSize: 2,
		DialTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
	})
}

// infoField is a field of an INFO answer ("name:value" lines).
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// freePort returns a loopback port that was free a moment ago; for a
// Cluster node its bus port (port+10000) too. Another process may take it
// before the server binds it: launch then picks another.
func freePort(cluster bool) (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !cluster {
			return port, nil
		}
		if port+10000 > 65535 {
			continue
		}
		if bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000)); err == nil {
			_ = bus.Close()
			return port, nil
		}
	}
	return 0, errors.New("redistest: no free port")
}

// waitFor polls check every 50ms until it reports nil or ctx (bounded by
// patience when it has no deadline) ends; then it returns check's last
// error.
func waitFor(ctx context.Context, what string, check func(ctx context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, patience)
		defer cancel()
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: %s: %w (last: %v)", what, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

//go:build unix

package local

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Signals that drive a link: SIGUSR1 cuts it (every open connection is
// closed and new ones are refused), SIGUSR2 heals it.
const (
	sigCut  = syscall.SIGUSR1
	sigHeal = syscall.SIGUSR2
)

// LinkMain is the link process: a TCP relay between one member and what it
// depends on (PostgreSQL, or the control plane's cluster port), so a
// partition can cut exactly that member's connections. Arguments:
// -listen ADDR -target ADDR [-cut].
func LinkMain(args []string) error {
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	listen := fs.String("listen", "", "address the member connects to")
	target := fs.String("target", "", "address the member depends on")
	cut := fs.Bool("cut", false, "start cut")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" || *target == "" {
		return errors.New("link: -listen and -target are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, sigCut, sigHeal)
	l := &link{listen: *listen, target: *target, conns: map[net.Conn]struct{}{}}
	if !*cut {
		if err := l.open(); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			l.close()
			return nil
		case s := <-sigs:
			if s == sigCut {
				l.close()
			} else if err := l.open(); err != nil {
				return err
			}
		}
	}
}

type link struct {
	listen, target string
	mu             sync.Mutex
	ln             net.Listener
	conns          map[net.Conn]struct{}
}

// open listens again; a healed link accepts new connections.
func (l *link) open() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", l.listen)
	if err != nil {
		return fmt.Errorf("link %s: %w", l.listen, err)
	}
	l.ln = ln
	go l.accept(ln)
	return nil
}

// close stops listening (new connections are refused) and resets every open one.
func (l *link) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		_ = l.ln.Close()
		l.ln = nil
	}
	for c := range l.conns {
		_ = c.Close()
	}
	clear(l.conns)
}

func (l *link) accept(ln net.Listener) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		go l.relay(in)
	}
}

func (l *link) track(cs ...net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return false
	}
	for _, c := range cs {
		l.conns[c] = struct{}{}
	}
	return true
}

func (l *link) relay(in net.Conn) {
	out, err := net.Dial("tcp", l.target)
	if err != nil {
		_ = in.Close()
		return
	}
	if !l.track(in, out) {
		_ = in.Close()
		_ = out.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	_ = in.Close()
	_ = out.Close()
	l.mu.Lock()
	delete(l.conns, in)
	delete(l.conns, out)
	l.mu.Unlock()
}

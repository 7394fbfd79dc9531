// Command echo is the backend of proxy tests (image kongdb/echo): it
// answers every request with its method, path, query, host and headers as
// JSON, so a test sees exactly what the proxy sent upstream. It also speaks
// cleartext HTTP/2 (h2c, as Kong's grpc services do) and answers any gRPC
// call (content-type application/grpc) with one message whose field 1 is
// that JSON and grpc-status 0, so a gRPC call through Kong can be checked
// with curl alone.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Echo is the JSON body of every answer.
type Echo struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query,omitempty"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
}

func main() {
	addr := ":" + os.Getenv("PORT")
	if addr == ":" {
		addr = ":8080"
	}
	// PID 1 in a container gets no default signal handling: stop on SIGTERM ourselves.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(handle), ReadHeaderTimeout: 10 * time.Second}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Println("echo listening on", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func handle(w http.ResponseWriter, r *http.Request) {
	e := Echo{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Headers: r.Header}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
		grpcAnswer(w, r, e)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(e)
}

// grpcAnswer answers a gRPC call, whatever its service and method: the request's
// messages are read and dropped, and the one reply is a length-prefixed protobuf
// message whose field 1 (a string) is the request as JSON, then the grpc-status
// trailer 0.
func grpcAnswer(w http.ResponseWriter, r *http.Request, e Echo) {
	_, _ = io.Copy(io.Discard, r.Body)
	text, _ := json.Marshal(e)
	msg := append([]byte{0x0a}, binary.AppendUvarint(nil, uint64(len(text)))...) // field 1, wire type 2
	msg = append(msg, text...)
	frame := make([]byte, 5, 5+len(msg)) // not compressed, then the length
	binary.BigEndian.PutUint32(frame[1:], uint32(len(msg)))
	w.Header().Set("Content-Type", "application/grpc")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(frame, msg...))
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // the message in DATA frames, then the status in trailers
	}
	w.Header().Set(http.TrailerPrefix+"Grpc-Status", "0")
}

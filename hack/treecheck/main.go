// Command treecheck fails when the repository tracks a file it should not: a compiled binary
// (a 15.8 MB `bench` executable once slipped in with the bench harness) or a file larger than
// -max-size. Files under a testdata directory are exempt: fixtures may be binary or large on
// purpose. `make lint` runs it over `git ls-files`.
//
//	go run ./hack/treecheck               # the tracked files of the work tree
//	go run ./hack/treecheck -max-size 1MiB
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "treecheck:", err)
		os.Exit(1)
	}
}

// defaultMaxSize is the largest file the tree may track outside testdata: the largest source
// file today is go.sum at about 43 KB, so 512 KiB leaves room and still catches binaries,
// archives and generated dumps.
const defaultMaxSize = 512 << 10

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("treecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "The repository's work tree.")
	maxSize := fs.String("max-size", strconv.Itoa(defaultMaxSize), "The largest file the tree may track outside testdata, in bytes (suffixes KiB and MiB accepted).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	limit, err := parseSize(*maxSize)
	if err != nil {
		return fmt.Errorf("-max-size: %w", err)
	}
	files, err := trackedFiles(*root)
	if err != nil {
		return err
	}
	problems, err := check(*root, files, limit)
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	return fmt.Errorf("%d tracked file(s) should not be in the tree: git rm --cached them and ignore them in .gitignore, or move fixtures under testdata/", len(problems))
}

// parseSize reads a byte count: "524288", "512KiB" or "1MiB".
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = n, m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive size", s)
	}
	return n * mult, nil
}

// trackedFiles are the files git tracks in the work tree at root, relative to it.
func trackedFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s: %w: %s", root, err, strings.TrimSpace(stderr.String()))
	}
	var files []string
	for f := range strings.SplitSeq(string(out), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}

// check names every file (slash-separated, relative to root) that is binary or larger than
// limit, except under testdata. A file tracked but deleted from the work tree is not judged.
func check(root string, files []string, limit int64) ([]string, error) {
	var problems []string
	for _, f := range files {
		if inTestdata(f) {
			continue
		}
		p := filepath.Join(root, filepath.FromSlash(f))
		info, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !info.Mode().IsRegular() {
			continue // symlinks and submodules hold no content of their own
		}
		if info.Size() > limit {
			problems = append(problems, fmt.Sprintf("%s: %d bytes, more than the %d allowed outside testdata", f, info.Size(), limit))
			continue
		}
		bin, err := isBinary(p)
		if err != nil {
			return nil, err
		}
		if bin != "" {
			problems = append(problems, fmt.Sprintf("%s: a binary file (%s)", f, bin))
		}
	}
	return problems, nil
}

// inTestdata reports whether the slash-separated path lies under a directory named testdata.
func inTestdata(f string) bool {
	return slices.Contains(strings.Split(path.Dir(f), "/"), "testdata")
}

// binaryKind says why a file is binary; the empty kind means it is text.
type binaryKind string

// isBinary reads the start of the file at p: an executable's magic number, or a NUL byte in
// the first 8,000 bytes (git's own test for binary content), makes it binary.
func isBinary(p string) (binaryKind, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 8000)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	head = head[:n]
	for _, m := range magics {
		if bytes.HasPrefix(head, m.prefix) {
			return m.kind, nil
		}
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return "NUL bytes", nil
	}
	return "", nil
}

// magics are executable and archive formats a build leaves behind, named in the message;
// others (Windows executables, images) are caught by their NUL bytes.
var magics = []struct {
	prefix []byte
	kind   binaryKind
}{
	{[]byte("\x7fELF"), "ELF executable"},
	{[]byte{0xcf, 0xfa, 0xed, 0xfe}, "Mach-O executable"},
	{[]byte{0xca, 0xfe, 0xba, 0xbe}, "Mach-O universal binary"},
	{[]byte("\x1f\x8b"), "gzip archive"},
	{[]byte("PK\x03\x04"), "zip archive"},
}

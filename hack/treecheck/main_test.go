package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFiles creates each file (slash-separated path → content) under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheckNamesBinariesAndLargeFilesOutsideTestdata(t *testing.T) {
	root := t.TempDir()
	big := strings.Repeat("x", 2000)
	writeFiles(t, root, map[string]string{
		"main.go":                     "package main\n",
		"bench":                       "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 64),
		"logo.png":                    "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"dump.sql":                    big,
		"pkg/x/testdata/golden.bin":   "\x00\x01\x02",
		"pkg/x/testdata/big/huge.txt": big,
		"docs/notes.md":               "# notes\n",
	})
	files := []string{"bench", "docs/notes.md", "dump.sql", "gone.txt", "logo.png", "main.go", "pkg/x/testdata/big/huge.txt", "pkg/x/testdata/golden.bin"}
	got, err := check(root, files, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bench: a binary file (ELF executable)",
		"dump.sql: 2000 bytes, more than the 1000 allowed outside testdata",
		"logo.png: a binary file (NUL bytes)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckPassesATreeOfTextFiles(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"a.go": "package a\n", "README.md": "héllo ✓\n", "empty": ""})
	got, err := check(root, []string{"README.md", "a.go", "empty"}, 1000)
	if err != nil || len(got) != 0 {
		t.Errorf("check = %q, %v; want no problems", got, err)
	}
}

// TestRunFailsOnATrackedBinary drives the command over a real git repository: a committed
// executable fails it, and removing it from the index makes it pass again.
func TestRunFailsOnATrackedBinary(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"main.go": "package main\n", "bench": "\x7fELF\x02\x01\x01\x00\x00"})
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q")
	git("add", "main.go", "bench")
	var out bytes.Buffer
	err := run([]string{"-root", root}, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "bench: a binary file (ELF executable)") {
		t.Fatalf("run = %v, output %q; want it to fail naming bench", err, out.String())
	}
	git("rm", "-q", "--cached", "bench")
	out.Reset()
	if err := run([]string{"-root", root}, &out, io.Discard); err != nil {
		t.Errorf("run after git rm --cached = %v (%s); want success: an untracked binary is not the tree's", err, out.String())
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1000": 1000, "512KiB": 512 << 10, "2MiB": 2 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1GB", "KiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) succeeded; want an error", in)
		}
	}
}

// Command dist cross-builds kubectl-kongdb for every platform krew users install on, packs each
// build into a reproducible .tar.gz, and writes the archives' sha256 into krew.yaml.
//
//	go run ./hack/dist                          # all platforms into dist/, rewrites krew.yaml
//	go run ./hack/dist -verify                  # checks krew.yaml against the archives in dist/
//	go run ./hack/dist -platforms linux/amd64   # a subset (the manifest lists what was built)
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	var o options
	flag.StringVar(&o.out, "out", "dist", "folder for the archives")
	flag.StringVar(&o.manifest, "manifest", "krew.yaml", "krew manifest to rewrite (or verify)")
	flag.StringVar(&o.version, "version", "v0.1.0", "version stamped into the binary, the archive names and the manifest")
	flag.StringVar(&o.repo, "repo", ".", "repository root")
	flag.StringVar(&o.pkg, "pkg", "./cmd/kubectl-kongdb", "main package to build")
	platforms := flag.String("platforms", "", "comma-separated os/arch list (default: all krew platforms)")
	verify := flag.Bool("verify", false, "If true, only verify the manifest against the archives")
	flag.Parse()

	targets, err := parseTargets(*platforms)
	if err != nil {
		fail(err)
	}
	o.targets = targets
	if *verify {
		m, err := readManifest(o.manifest)
		if err == nil {
			err = m.validate(o.targets)
		}
		if err == nil {
			err = m.verifyArchives(o.out)
		}
		if err != nil {
			fail(err)
		}
		fmt.Printf("%s matches the %d archives in %s\n", o.manifest, len(m.Spec.Platforms), o.out)
		return
	}
	if err := run(o); err != nil {
		fail(err)
	}
}

func parseTargets(list string) ([]target, error) {
	if list == "" {
		return allTargets, nil
	}
	var out []target
	for _, item := range strings.Split(list, ",") {
		os, arch, ok := strings.Cut(strings.TrimSpace(item), "/")
		if !ok || os == "" || arch == "" {
			return nil, fmt.Errorf("platform %q is not os/arch", item)
		}
		out = append(out, target{os, arch})
	}
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dist:", err)
	os.Exit(1)
}

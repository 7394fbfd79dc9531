// Command gencluster writes the benchmark cluster of internal/gencluster as a YAML manifest to
// stdout (or -out), sized by flags; -scale multiplies the Ingress and consumer counts.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kongdb/kubectl-kongdb/internal/gencluster"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gencluster:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	o := gencluster.Default()
	fs := flag.NewFlagSet("gencluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scale := fs.Float64("scale", 1, "Multiply the Ingress and consumer counts by this factor.")
	out := fs.String("out", "", "Write to this file instead of stdout.")
	fs.IntVar(&o.Ingresses, "ingresses", o.Ingresses, "Ingresses, each with its own Service and EndpointSlice.")
	fs.IntVar(&o.RulesPerIngress, "rules", o.RulesPerIngress, "Host rules per Ingress.")
	fs.IntVar(&o.PortsPerService, "ports", o.PortsPerService, "Ports per Service.")
	fs.IntVar(&o.EndpointsPerSlice, "endpoints", o.EndpointsPerSlice, "Ready endpoints per EndpointSlice.")
	fs.IntVar(&o.PluginEvery, "plugin-every", o.PluginEvery, "A rate-limiting KongPlugin on every n-th Ingress; 0 for none.")
	fs.IntVar(&o.Consumers, "consumers", o.Consumers, "KongConsumers, each with a key-auth Secret.")
	fs.IntVar(&o.Namespaces, "namespaces", o.Namespaces, "Namespaces to spread the objects over.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o = o.Scaled(*scale)
	if err := o.Validate(); err != nil {
		return err
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := o.WriteYAML(w); err != nil {
		return err
	}
	c := o.Count()
	fmt.Fprintf(stderr, "%d objects, %d Kong entities expected\n", c.Objects, c.Entities)
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		return f.Close()
	}
	return nil
}

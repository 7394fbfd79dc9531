package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
)

// instance is one plugin configuration ready to run.
type instance interface {
	// access runs in the access phase; true means it answered the request
	// itself (kong.response.exit) and the phase stops.
	access(x *exchange, w http.ResponseWriter) bool
}

// headerFilterer is an instance with a header_filter phase.
type headerFilterer interface {
	headerFilter(x *exchange, h http.Header, status int)
}

// approximator is an instance that runs, but not quite as configured; its
// note says how (Stats and the log repeat it).
type approximator interface {
	approximation() string
}

// pluginKind is a plugin the emulator executes: its Kong PRIORITY (the
// handler's, which orders execution) and how its config is read.
type pluginKind struct {
	priority int
	build    func(conf *row, sc scope) (instance, error)
}

// executed are the plugins the emulator runs; all others are stored and
// reported as not executed.
var executed = map[string]pluginKind{}

// scope is the (route, service, consumer) a plugin configuration applies
// to; empty ids are unset, all three empty is global.
type scope struct{ route, service, consumer string }

// pluginSet holds the executed plugins' configurations by name and scope,
// with the names in Kong's execution order (priority, high first).
type pluginSet struct {
	order       []string
	combos      map[string]map[scope]instance
	notExecuted []string
	approximate []string
}

func compilePlugins(rows []*row) (pluginSet, error) {
	ps := pluginSet{combos: map[string]map[scope]instance{}}
	skipped, approx := map[string]bool{}, map[string]bool{}
	var errs []error
	for _, r := range rows {
		name := r.str("name")
		protocols := r.strs("protocols")
		sc := scope{route: r.fk("route"), service: r.fk("service"), consumer: r.fk("consumer")}
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if len(protocols) > 0 && !anyHTTP(protocols) {
			continue
		}
		kind, ok := executed[name]
		if !ok {
			skipped[name] = true
			continue
		}
		conf := r.config()
		inst, err := kind.build(conf, sc)
		if err == nil && conf.err != nil {
			err = conf.err
		}
		var partial errPartial
		if errors.As(err, &partial) {
			skipped[name+" ("+partial.Error()+")"] = true
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("plugin %s %s: %w", name, r.str("id"), err))
			continue
		}
		if a, ok := inst.(approximator); ok && a.approximation() != "" {
			approx[a.approximation()] = true
		}
		if ps.combos[name] == nil {
			ps.combos[name] = map[scope]instance{}
			ps.order = append(ps.order, name)
		}
		ps.combos[name][sc] = inst
	}
	sort.Slice(ps.order, func(i, j int) bool {
		pi, pj := executed[ps.order[i]].priority, executed[ps.order[j]].priority
		if pi != pj {
			return pi > pj
		}
		return ps.order[i] < ps.order[j]
	})
	ps.notExecuted, ps.approximate = sortedKeys(skipped), sortedKeys(approx)
	if len(errs) > 0 {
		return ps, joinErrs(errs)
	}
	return ps, nil
}

func anyHTTP(protocols []string) bool {
	for _, p := range protocols {
		if httpProtocols[p] {
			return true
		}
	}
	return false
}

// lookup is plugins_iterator.lua lookup_cfg: the most specific of the
// eight combinations of route, service and consumer wins.
func lookup(combos map[scope]instance, route, service, consumer string) instance {
	try := func(sc scope) instance { return combos[sc] }
	if route != "" && service != "" && consumer != "" {
		if i := try(scope{route, service, consumer}); i != nil {
			return i
		}
	}
	if route != "" && consumer != "" {
		if i := try(scope{route: route, consumer: consumer}); i != nil {
			return i
		}
	}
	if service != "" && consumer != "" {
		if i := try(scope{service: service, consumer: consumer}); i != nil {
			return i
		}
	}
	if route != "" && service != "" {
		if i := try(scope{route: route, service: service}); i != nil {
			return i
		}
	}
	if consumer != "" {
		if i := try(scope{consumer: consumer}); i != nil {
			return i
		}
	}
	if route != "" {
		if i := try(scope{route: route}); i != nil {
			return i
		}
	}
	if service != "" {
		if i := try(scope{service: service}); i != nil {
			return i
		}
	}
	return try(scope{})
}

// access runs the access phase: each plugin, in priority order, takes the
// configuration for the consumer known at that moment — so plugins after an
// auth plugin see the consumer it identified, as in Kong.
func (ps *pluginSet) access(x *exchange, w http.ResponseWriter) bool {
	for _, name := range ps.order {
		routeID, serviceID, consumerID := x.route.id, "", ""
		if x.service != nil {
			serviceID = x.service.id
		}
		if x.consumer != nil {
			consumerID = x.consumer.id
		}
		inst := lookup(ps.combos[name], routeID, serviceID, consumerID)
		if inst == nil {
			continue
		}
		if _, ok := inst.(headerFilterer); ok {
			x.filters = append(x.filters, collected{inst})
		}
		if inst.access(x, w) {
			return true
		}
	}
	return false
}

// globalFilters are the global plugins with a header_filter phase, which
// Kong runs on responses it answers before plugins are collected (no
// route matched, HTTPS required): its iterator falls back to the globals.
func (ps *pluginSet) globalFilters() []collected {
	var out []collected
	for _, name := range ps.order {
		if inst := ps.combos[name][scope{}]; inst != nil {
			if _, ok := inst.(headerFilterer); ok {
				out = append(out, collected{inst})
			}
		}
	}
	return out
}

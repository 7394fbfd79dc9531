package proxy

import (
	"errors"
)

// consumer is a consumer as the auth plugins identify it.
type consumer struct {
	id, username, customID string
	groups                 []string // acl groups
}

type basicCred struct {
	id       string
	consumer *consumer
	password string // Kong's stored hash: hex sha1(password .. consumer id)
}

type keyCred struct {
	id       string
	consumer *consumer
}

// credentials indexes consumers and their credentials.
type credentials struct {
	consumers map[string]*consumer // by id
	byName    map[string]*consumer // by username and by custom_id
	keys      map[string]keyCred
	basic     map[string]basicCred // by username
}

func compileCredentials(rows func(string) []*row) (credentials, error) {
	c := credentials{consumers: map[string]*consumer{}, byName: map[string]*consumer{},
		keys: map[string]keyCred{}, basic: map[string]basicCred{}}
	var errs []error
	keep := func(r *row) bool {
		if r.err != nil {
			errs = append(errs, r.err)
			return false
		}
		return true
	}
	for _, r := range rows("consumers") {
		cs := &consumer{id: r.str("id"), username: r.str("username"), customID: r.str("custom_id")}
		if keep(r) {
			c.consumers[cs.id] = cs
			if cs.username != "" {
				c.byName[cs.username] = cs
			}
			if cs.customID != "" {
				c.byName[cs.customID] = cs
			}
		}
	}
	for _, r := range rows("keyauth_credentials") {
		cs, key := c.consumers[r.fk("consumer")], r.str("key")
		if keep(r) && cs != nil {
			c.keys[key] = keyCred{id: r.str("id"), consumer: cs}
		}
	}
	for _, r := range rows("basicauth_credentials") {
		cs, user := c.consumers[r.fk("consumer")], r.str("username")
		if keep(r) && cs != nil {
			c.basic[user] = basicCred{id: r.str("id"), consumer: cs, password: r.str("password")}
		}
	}
	for _, r := range rows("acls") {
		cs, group := c.consumers[r.fk("consumer")], r.str("group")
		if keep(r) && cs != nil {
			cs.groups = append(cs.groups, group)
		}
	}
	return c, joinErrs(errs)
}

func joinErrs(errs []error) error { return errors.Join(errs...) }

package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"
)

// unsyncedWarnEvery is how often Run logs the informer caches it still
// waits for.
const unsyncedWarnEvery = 30 * time.Second

// CachesSynced returns nil once every informer cache has synced, and
// otherwise an error naming those that have not (all of them before Run
// starts them). The controller's /readyz answers with it.
func (c *Controller) CachesSynced() error {
	var pending []string
	for ns, cs := range c.scopes {
		scope := scopeName(ns)
		for _, n := range cs.inf.named() {
			if !n.informer.HasSynced() {
				pending = append(pending, n.kind+" in "+scope)
			}
		}
	}
	for ns, rs := range c.routeScopes {
		if !rs.vss.HasSynced() {
			pending = append(pending, "virtualservices in "+scopeName(ns))
		}
	}
	if len(pending) == 0 {
		return nil
	}
	sort.Strings(pending)
	return fmt.Errorf("informer caches not synced: %s", strings.Join(pending, ", "))
}

// warnUnsynced logs a warning naming the caches not synced yet every
// unsyncedWarnEvery until they are or ctx ends: a cache that never syncs
// (a namespace the controller may not list, an unreachable API) otherwise
// keeps every canary waiting in silence.
func (c *Controller) warnUnsynced(ctx context.Context) {
	t := c.clock.NewTicker(unsyncedWarnEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			err := c.CachesSynced()
			if err == nil {
				return
			}
			c.log.Warn("still waiting for informer caches; no canary is reconciled until they sync", zap.Error(err))
		}
	}
}

// scopeName says which namespaces an informer of namespace ns watches.
func scopeName(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return "namespace " + ns
}

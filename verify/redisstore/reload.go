package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// reloadOnError is a go-redis hook of a Cluster client (Open adds it) that
// asks the client to reload its slot map after a call fails on a
// connection (refused, reset, timed out) or with a reply saying the
// Cluster is changing. go-redis otherwise keeps sending a dead master's
// slots to it until its periodic reload (ClusterStateReloadInterval, 60s
// by default), long after a replica took over. ReloadState only schedules
// a reload; go-redis runs one at a time and at most one every 200ms.
type reloadOnError struct{ c *redis.ClusterClient }

func (h reloadOnError) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h reloadOnError) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if topologyError(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

func (h reloadOnError) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		reload := topologyError(err)
		for _, cmd := range cmds {
			reload = reload || topologyError(cmd.Err())
		}
		if reload {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

// topologyError reports an error that a newer slot map may cure: a
// connection error, or a reply of a node that is not (or no longer) the
// master it was taken for.
func topologyError(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || errors.Is(err, redis.ErrClosed) {
		return false
	}
	var reply redis.Error
	if !errors.As(err, &reply) {
		return true // the connection failed: refused, reset, timed out
	}
	for _, p := range []string{"CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "READONLY", "LOADING"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

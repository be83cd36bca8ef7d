package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/otpkit/otpkit"
	"github.com/otpkit/otpkit/verify"
)

//go:embed refbudget.lua
var refBudgetLua string

// refBudgetScript reads a ref and its recipient's failure budget at once.
var refBudgetScript = redis.NewScript(refBudgetLua)

// LoadRefAllowCheck implements verify.RefBudgetLoader. On one server (or
// Sentinel) it is one script, one round trip: the script names the
// recipient's key from the record it read. On a Cluster the ref and the
// recipient are in different slots, so it is LoadRef, then AllowCheck: two
// round trips, the same answers.
func (s *Store) LoadRefAllowCheck(ctx context.Context, now time.Time, ref string, failures verify.Rate) (verify.RefRecord, error) {
	if !s.oneServer {
		rec, err := s.LoadRef(ctx, now, ref)
		if err != nil || rec.Recipient == "" {
			return rec, err
		}
		return rec, s.AllowCheck(ctx, now, rec.Recipient, failures)
	}
	ms, ns := nowArgs(now)
	res, err := refBudgetScript.Run(ctx, s.rdb, []string{s.refKey(ref)},
		ms, ns, failures.Count, millis(failures.Per), s.prefix).Slice()
	if err != nil {
		return verify.RefRecord{}, err
	}
	var raw any
	switch status(res) {
	case 0:
		if len(res) > 1 {
			raw = res[1]
		}
	case 1:
		if len(res) > 4 {
			raw = res[4]
		}
	case 2:
		return verify.RefRecord{}, otpkit.ErrNotFound
	}
	b, ok := raw.(string)
	if !ok {
		return verify.RefRecord{}, fmt.Errorf("redisstore: unexpected answer of the ref script: %v", res)
	}
	rec, err := decodeRef(now, []byte(b))
	if err != nil || status(res) == 0 || rec.Recipient == "" {
		return rec, err
	}
	return rec, limit(res, now)
}

// decodeRef returns the record of a saved ref, or otpkit.ErrNotFound when
// it expired at now by the Guard's clock.
func decodeRef(now time.Time, b []byte) (verify.RefRecord, error) {
	var v refValue
	if err := json.Unmarshal(b, &v); err != nil {
		return verify.RefRecord{}, fmt.Errorf("redisstore: a ref record that is not one: %w", err)
	}
	if now.UnixNano() >= v.Expires {
		return verify.RefRecord{}, otpkit.ErrNotFound
	}
	return v.RefRecord, nil
}

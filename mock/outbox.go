package mock

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// outbox holds the last max messages sent, oldest first, indexed by
// provider id and by recipient, so that CodeFor, LastCode, MessagesTo and
// GET /_mock/messages?id=|to= cost O(matches) rather than a scan of up to
// WithMaxMessages entries on every call.
//
// Messages are numbered in the order pushed (seq). Each index maps a key to
// the newest message with that key, and each entry links to the previous
// message with the same id and the same recipient: two lists threaded
// through the ring, with no allocation per message beyond the maps' slots.
// A message pushed out of the ring is the oldest held, so a link to it or
// older ends a list, and its key leaves an index when it was the key's only
// (so newest) message.
type outbox struct {
	ring   ring[outboxEntry]
	pushed uint64            // messages ever pushed; the oldest held is seq pushed-len
	byID   map[string]uint64 // foldKey(ID) → seq+1 of the newest message with that id
	byTo   map[string]uint64 // normRecipient(To) → seq+1 of the newest to that recipient
}

// outboxEntry is a message with the links of its two lists: seq+1 of the
// previous message with the same id and with the same recipient, 0 for
// none.
type outboxEntry struct {
	m              Message
	prevID, prevTo uint64
}

func newOutbox(max int) outbox {
	return outbox{ring: newRing[outboxEntry](max), byID: map[string]uint64{}, byTo: map[string]uint64{}}
}

func (o *outbox) len() int { return o.ring.len() }

// snapshot copies the messages out, oldest first.
func (o *outbox) snapshot() []Message {
	out := make([]Message, 0, o.ring.len())
	for i := range o.ring.len() {
		out = append(out, o.ring.at(i).m)
	}
	return out
}

// push adds m, pushing the oldest message out when the outbox is full.
func (o *outbox) push(m Message) {
	if o.ring.len() == o.ring.max {
		old := o.ring.at(0).m
		ref := o.pushed - uint64(o.ring.len()) + 1
		if k := foldKey(old.ID); o.byID[k] == ref {
			delete(o.byID, k)
		}
		if k := normRecipient(old.To); o.byTo[k] == ref {
			delete(o.byTo, k)
		}
	}
	o.pushed++
	idKey, toKey := foldKey(m.ID), normRecipient(m.To)
	o.ring.push(outboxEntry{m: m, prevID: o.byID[idKey], prevTo: o.byTo[toKey]})
	o.byID[idKey] = o.pushed
	o.byTo[toKey] = o.pushed
}

// entry returns the entry ref (seq+1) points to, and false when ref is 0
// or the message was pushed out.
func (o *outbox) entry(ref uint64) (outboxEntry, bool) {
	oldest := o.pushed - uint64(o.ring.len()) // seq of the oldest held
	if ref == 0 || ref-1 < oldest {
		return outboxEntry{}, false
	}
	return o.ring.at(int(ref - 1 - oldest)), true
}

// lastWithID returns the newest message sent for id (compared in any
// case).
func (o *outbox) lastWithID(id string) (Message, bool) {
	e, ok := o.entry(o.byID[foldKey(id)])
	return e.m, ok
}

// lastTo returns the newest message to recipient (compared as
// normRecipient does).
func (o *outbox) lastTo(recipient string) (Message, bool) {
	e, ok := o.entry(o.byTo[normRecipient(recipient)])
	return e.m, ok
}

// withID returns the messages sent for id, oldest first; nil for none.
func (o *outbox) withID(id string) []Message {
	return o.walk(o.byID[foldKey(id)], func(e outboxEntry) uint64 { return e.prevID }, nil)
}

// to returns the messages to recipient, oldest first; nil for none.
func (o *outbox) to(recipient string) []Message {
	return o.walk(o.byTo[normRecipient(recipient)], func(e outboxEntry) uint64 { return e.prevTo }, nil)
}

// walk follows a list from ref back through prev, keeping the messages
// keep accepts (all when keep is nil), and returns them oldest first.
func (o *outbox) walk(ref uint64, prev func(outboxEntry) uint64, keep func(Message) bool) []Message {
	var out []Message
	for {
		e, ok := o.entry(ref)
		if !ok {
			break
		}
		if keep == nil || keep(e.m) {
			out = append(out, e.m)
		}
		ref = prev(e)
	}
	slices.Reverse(out)
	return out
}

// find returns the messages sent for id to recipient, oldest first; an
// empty id or recipient matches any (with neither: the whole outbox).
func (o *outbox) find(id, recipient string) []Message {
	switch {
	case id == "" && recipient == "":
		return o.snapshot()
	case id == "":
		return o.to(recipient)
	case recipient == "":
		return o.withID(id)
	}
	// Both: the id's list (one flow's messages: few), filtered by
	// recipient.
	toKey := normRecipient(recipient)
	return o.walk(o.byID[foldKey(id)], func(e outboxEntry) uint64 { return e.prevID },
		func(m Message) bool { return normRecipient(m.To) == toKey })
}

// foldKey maps s to one representative of the strings strings.EqualFold
// holds equal to it: each character becomes one fixed member of its simple
// case folding orbit (the lowercase ASCII letter when there is one, else the
// smallest; as in EqualFold, invalid bytes become U+FFFD), so that
// foldKey(a) == foldKey(b) exactly when strings.EqualFold(a, b). An id the
// mock made (lowercase ASCII) is returned as it is, without a copy.
func foldKey(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		if 'A' <= least && least <= 'Z' {
			least += 'a' - 'A' // an orbit with an ASCII letter: its lowercase, like the fast path
		}
		b.WriteRune(least)
	}
	return b.String()
}

package mock

import "strings"

// CodeFor returns the code the mock sent for one provider id: the newest
// message of a LOX24 verify code id, a Tryvox verification id or a
// dotdigital requestId (the ID a call returned). Unlike LastCode it cannot
// pick up another flow's code to the same recipient. Ids compare in any
// case.
//
// A LOX24 code counts as sent as soon as the routing step that will deliver
// it is running: CodeFor finds it right after CreateVerifyCode, although the
// message reaches Messages only when the step completes (1 s later on the
// mock's clock). It is false while a step that will fail runs (a telegram
// step fails after its timeout_sec; Advance past it), for an id the mock
// never sent anything for, and for a LOX24 code whose delivery failed or
// errored.
func (h *Handler) CodeFor(id string) (string, bool) {
	if id == "" {
		return "", false
	}
	h.lockedNow()
	defer h.mu.Unlock()
	if m, ok := h.st.outbox.lastWithID(id); ok {
		return m.Code, true
	}
	if c := h.st.lox.codes[strings.ToLower(id)]; c != nil && !c.status.Terminal() && !c.codeDeleted &&
		len(c.history) > 0 && c.stepOutcome == OutcomeDelivered {
		return c.code, true
	}
	return "", false
}

// messagesFor returns the outbox entries sent for id to recipient, oldest
// first, for GET /_mock/messages[?to=][&id=]; an empty id or recipient
// matches any.
func (h *Handler) messagesFor(id, recipient string) []Message {
	h.lockedNow()
	defer h.mu.Unlock()
	return h.st.outbox.find(id, recipient)
}

package mock

import (
	"fmt"
	"strings"

	"github.com/otpkit/otpkit"
)

// Bounds on what the mock keeps per request or per scripted entry, so that
// its memory is bounded in bytes and not only in entries: a client (or a
// test gone wrong) sending megabyte texts, paths or recipients costs a few
// kilobytes an entry.
const (
	// maxMessageText is how much of a message text the outbox keeps.
	maxMessageText = 2 << 10
	// maxLoggedPath and maxLoggedMethod are how much of a request's path
	// and method the request log keeps.
	maxLoggedPath   = 1 << 10
	maxLoggedMethod = 16
	// maxRecipient is the longest recipient SetOutcome and SetNumberStatus
	// take: the longest any provider accepts (an email address).
	maxRecipient = 254
	// maxScriptedChannel and maxNumberStatus bound the other scripted
	// strings.
	maxScriptedChannel = 16
	maxNumberStatus    = 64
	// maxScripted is how many recipient/channel outcomes, and how many
	// number statuses, can be scripted at once.
	maxScripted = 10000
)

// truncate returns s cut to at most max bytes at a character boundary, as
// a new string (a slice of s would keep all of s alive).
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && i < len(s) && s[i]&0xc0 == 0x80 { // not at the start of a character
		i--
	}
	return strings.Clone(s[:i])
}

// pushMessage adds m to the outbox, its text cut to maxMessageText.
func (s *state) pushMessage(m Message) {
	m.Text = truncate(m.Text, maxMessageText)
	s.outbox.push(m)
}

// checkScript refuses a scripted recipient, channel or number status that
// could never match a request, and a new entry beyond maxScripted.
func checkScript(what, recipient string, ch otpkit.Channel, status string, entries int, isNew bool) error {
	switch {
	case len(recipient) > maxRecipient:
		return fmt.Errorf("the recipient is longer than %d bytes", maxRecipient)
	case len(ch) > maxScriptedChannel:
		return fmt.Errorf("the channel is longer than %d bytes", maxScriptedChannel)
	case len(status) > maxNumberStatus:
		return fmt.Errorf("the status is longer than %d bytes", maxNumberStatus)
	case isNew && entries >= maxScripted:
		return fmt.Errorf("%d %s are scripted already, the most the mock keeps; set some back to the default or reset", maxScripted, what)
	}
	return nil
}

package verify

import (
	"fmt"
	"io"
)

// Format implements fmt.Formatter. A MemoryStore's keys are phone numbers,
// IP addresses and number prefixes, so with every verb (%v, %+v, %s, %d,
// %x, ...) it prints as "verify.MemoryStore", and with %#v as
// "&verify.MemoryStore{…}": never its contents, where fmt would otherwise
// print its maps (%#v and %d ignore String). It takes no lock.
func (m *MemoryStore) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, "&verify.MemoryStore{…}")
		return
	}
	_, _ = io.WriteString(f, "verify.MemoryStore")
}

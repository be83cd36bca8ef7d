package rules

import "strings"

// HeaderSafe reports whether s is non-empty and can go into a header value
// unchanged: no spaces, no control characters.
func HeaderSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return s != ""
}

// LOX24Token reports whether token has LOX24's shape "<clientId>:<apiKey>":
// digits, a colon, a header-safe key. It returns the client id.
func LOX24Token(token string) (clientID string, ok bool) {
	id, key, found := strings.Cut(token, ":")
	return id, found && Digits(id) && HeaderSafe(key)
}

// BasicUser reports whether user can be an HTTP Basic user name: non-empty,
// header-safe and without the colon that separates it from the password.
func BasicUser(user string) bool {
	return HeaderSafe(user) && !strings.Contains(user, ":")
}

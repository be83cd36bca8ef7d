package redisstore

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestScriptsCarryOnlyTheHelpersTheyUse checks every composed script: a
// helper of lib.lua is in it if and only if it is called in it (by the
// script or by another helper it carries), since Redis makes every
// function a script defines on every call, and a helper called but not
// carried fails at run time.
func TestScriptsCarryOnlyTheHelpersTheyUse(t *testing.T) {
	scripts := map[string]string{"send": sendLua, "refund": refundLua, "issue": issueLua, "check": checkLua,
		"failures": failuresLua, "allowcheck": allowCheckLua, "unlock": unlockLua, "reserve": reserveLua,
		"settle": settleLua, "claimref": claimRefLua}
	assert.Len(t, helpers, 17, "lib.lua's helpers")
	for name, src := range scripts {
		text := compose(src)
		assert.NotContains(t, text, "--[[uses:", name)
		for helper, chunk := range helpers {
			defined := strings.Contains(text, chunk)
			uses := regexp.MustCompile(`\b`+helper+`\(`).FindAllStringIndex(text, -1)
			if helper == "now" {
				uses = regexp.MustCompile(`\bnms\b`).FindAllStringIndex(text, -1)
			}
			calls := len(uses)
			if defined {
				calls-- // its definition
			}
			if defined {
				assert.Positive(t, calls, "%s carries %s and never calls it", name, helper)
			} else {
				assert.Zero(t, calls, "%s calls %s without carrying it", name, helper)
			}
		}
	}
}

// TestScriptsKeepAnswersForOpTTL: lib.lua's optl, how long an operation
// log keeps an answer, is opTTL, as an operation's key keeps one.
func TestScriptsKeepAnswersForOpTTL(t *testing.T) {
	want := "local optl = " + strconv.FormatInt(opTTL.Milliseconds(), 10) + "\n"
	assert.Contains(t, helpers["now"], want)
	assert.Contains(t, onceHead, "local optl = '"+strconv.FormatInt(opTTL.Milliseconds(), 10)+"'\n")
}

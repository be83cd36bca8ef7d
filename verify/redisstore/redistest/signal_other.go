//go:build !unix

package redistest

import "os"

// Without Unix signals, Stop kills the server and Pause and Resume are not
// supported (nil).
var (
	sigTerm os.Signal = os.Kill
	sigStop os.Signal
	sigCont os.Signal
)

//go:build !linux

package redistest

import "os/exec"

// startProcess starts cmd. Only Linux can tie a child's life to the test
// binary's (Pdeathsig); elsewhere a server is stopped by the test's cleanup,
// and one left by a killed test binary must be stopped by hand.
func startProcess(cmd *exec.Cmd) error { return cmd.Start() }

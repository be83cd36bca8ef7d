package otpkit_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestREADMECodeBlocksCompile builds every ```go block of README.md as its
// own package in a scratch module that uses this checkout, so the README
// cannot drift from the API.
func TestREADMECodeBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module")
	}
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	require.NotEmpty(t, blocks)

	repo, err := os.Getwd()
	require.NoError(t, err)
	dir := t.TempDir()
	gomod := fmt.Sprintf("module readmecheck\n\ngo 1.26\n\nrequire github.com/otpkit/otpkit v0.0.0\n\nreplace github.com/otpkit/otpkit => %s\n", repo)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	for i, b := range blocks {
		src := string(b[1])
		pkg := regexp.MustCompile(`(?m)^package (\w+)`).FindStringSubmatch(src)
		require.NotNil(t, pkg, "README go block %d has no package clause", i+1)
		name := "main.go"
		if strings.HasSuffix(pkg[1], "_test") {
			name = "x_test.go"
		}
		sub := filepath.Join(dir, fmt.Sprintf("block%d", i+1))
		require.NoError(t, os.Mkdir(sub, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(sub, name), []byte(src), 0o644))
	}
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	cmd = exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "a README code block does not compile:\n%s", out)
}

package otpkit_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	urlRE    = regexp.MustCompile(`[a-z]+://\S+`)
	mdNameRE = regexp.MustCompile(`[\w./-]*\w\.md\b`)
	// outsideRE finds pointers a user of the repository cannot follow: a
	// path climbing out of it, or a path of the machine it was written on.
	outsideRE = regexp.MustCompile(`\.\./[\w.-]|(?:^|[\s(` + "`" + `"'])/(?:work|home|tmp|Users)/`)
)

// docTexts returns every comment of every Go file and every Markdown file
// of the repository, by the file's path relative to the root.
func docTexts(t *testing.T) map[string]string {
	t.Helper()
	texts := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(path, ".md"):
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			texts[path] = string(b)
		case strings.HasSuffix(path, ".go"):
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.SkipObjectResolution)
			require.NoError(t, err)
			var b strings.Builder
			for _, g := range f.Comments {
				b.WriteString(g.Text())
				b.WriteString("\n")
			}
			texts[path] = b.String()
		}
		return nil
	})
	require.NoError(t, err)
	_, readme := texts["README.md"]
	_, mockDoc := texts[filepath.Join("mock", "doc.go")]
	require.True(t, readme && mockDoc, "the walk reached README.md and the Go files")
	return texts
}

// Every Markdown file a doc comment or a Markdown file names is in the
// repository, and no doc points outside it: users have only the repository.
func TestDocsPointInsideTheRepository(t *testing.T) {
	for path, text := range docTexts(t) {
		text = urlRE.ReplaceAllString(text, "")
		for _, name := range mdNameRE.FindAllString(text, -1) {
			assert.True(t, mdExists(path, name), "%s names %s, which is not in the repository", path, name)
		}
		for _, line := range strings.Split(text, "\n") {
			assert.False(t, outsideRE.MatchString(line), "%s points outside the repository: %q", path, line)
		}
	}
}

// mdExists resolves name from the repository root or from the directory of
// the file that names it, never outside the repository.
func mdExists(from, name string) bool {
	for _, p := range []string{name, filepath.Join(filepath.Dir(from), name)} {
		p = filepath.Clean(p)
		if strings.HasPrefix(p, "..") || filepath.IsAbs(p) {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

func TestDocRefsCatchesAMissingFile(t *testing.T) {
	assert.True(t, mdExists("mock/doc.go", "docs/wire.md"))
	assert.True(t, mdExists("docs/wire.md", "README.md"))
	assert.False(t, mdExists("mock/doc.go", "NOPE"+".md"))
	assert.False(t, mdExists("README.md", "../otpkit/README"+".md"), "never outside the repository")
	assert.True(t, outsideRE.MatchString("see ../shared/spec"))
	assert.True(t, outsideRE.MatchString("written in /work/wt/x"))
	assert.False(t, outsideRE.MatchString("GET /_mock/health and /v1/verify/start"))
}

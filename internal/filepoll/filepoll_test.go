package filepoll

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseValue takes a file of one value, after any comment lines; "bad" does not parse.
func parseValue(data []byte) (string, error) {
	var value string
	for line := range strings.SplitSeq(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			value = line
		}
	}
	if value == "bad" {
		return "", errors.New("bad value")
	}
	return value, nil
}

func TestPoll(t *testing.T) {
	type step struct {
		content     string // "" removes the file
		wantValue   string // the value handed over by this poll, "" for none
		wantRefusal bool   // this poll reports a refusal
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"the content in use", []step{{content: "a"}, {content: "a"}}},
		{"a new content, read twice", []step{{content: "b"}, {content: "b", wantValue: "b"}, {content: "b"}}},
		{"a torn read, then the whole", []step{{content: "b-cut"}, {content: "bb"}, {content: "bb", wantValue: "bb"}}},
		{"the same value in another spelling", []step{{content: "# 1\nb"}, {content: "# 2\nb", wantValue: "b"}}},
		{"a bad content, reported once when read twice", []step{{content: "bad"}, {content: "bad", wantRefusal: true}, {content: "bad"}, {content: "b"}, {content: "b", wantValue: "b"}}},
		{"a missing file, reported at once and once", []step{{content: "", wantRefusal: true}, {content: ""}, {content: "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "file")
			require.NoError(t, os.WriteFile(path, []byte("a"), 0o600))
			p := New(path, parseValue, func(a, b string) bool { return a == b })
			p.Applied([]byte("a"))
			for i, s := range tc.steps {
				if s.content == "" {
					require.NoError(t, os.RemoveAll(path))
				} else {
					require.NoError(t, os.WriteFile(path, []byte(s.content), 0o600))
				}
				v, changed, err := p.Poll()
				assert.Equal(t, s.wantValue != "", changed, "step %d", i)
				assert.Equal(t, s.wantValue, v, "step %d", i)
				assert.Equal(t, s.wantRefusal, err != nil, "step %d: %v", i, err)
			}
		})
	}
}

package auditevent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AppendJSONString copies plain text in words, the last one ending the string, in two
// overlapping half words when the string is shorter than a word, and in bytes when it is
// shorter than a half word: each byte that needs care is put at every place of strings
// of every length up to a little past two words, where those paths meet.
func TestAppendJSONStringEveryLength(t *testing.T) {
	const prefix = "kept"
	for n := 0; n <= 20; n++ {
		plain := strings.Repeat("p", n)
		assert.Equal(t, prefix+`"`+plain+`"`, string(AppendJSONString([]byte(prefix), plain)), "plain text is copied as it is")
		for _, special := range []string{"\"", "\\", "\n", "\x00", "\x1f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80"} {
			for at := 0; at <= n; at++ {
				s := plain[:at] + special + plain[at:]
				// A buffer with room to spare, as the exporter's arena has: its bytes past the
				// end must not show through.
				buf := []byte(prefix + strings.Repeat(`"`, 64))[:len(prefix)]
				got := AppendJSONString(buf, s)
				require.True(t, strings.HasPrefix(string(got), prefix))
				var decoded string
				require.NoError(t, json.Unmarshal(got[len(prefix):], &decoded), "%q", got)
				// What encoding/json makes of the same text: invalid UTF-8 as U+FFFD.
				want, err := json.Marshal(s)
				require.NoError(t, err)
				var wantDecoded string
				require.NoError(t, json.Unmarshal(want, &wantDecoded))
				assert.Equal(t, wantDecoded, decoded, "%q", s)
				assert.NotContains(t, string(got), "\u2028", "%q", s)
				assert.NotContains(t, string(got), "\u2029", "%q", s)
			}
		}
	}
}

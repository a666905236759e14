package schema

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFinishCSVField(t *testing.T) {
	tests := []struct {
		name, in, want string
		// read is what encoding/csv gives back, when it differs from in.
		read string
	}{
		{name: "empty string", in: "", want: `""`},
		{name: "plain", in: "user_login", want: "user_login"},
		{name: "unicode", in: "ünï ☃", want: "ünï ☃"},
		{name: "inner space", in: "a b", want: "a b"},
		{name: "comma", in: "a,b", want: `"a,b"`},
		{name: "quote", in: `say "hi"`, want: `"say ""hi"""`},
		{name: "only quotes", in: `""`, want: `""""""`},
		{name: "LF", in: "a\nb", want: "\"a\nb\""},
		{name: "CR", in: "a\rb", want: "\"a\rb\""},
		{name: "CRLF", in: "a\r\nb", want: "\"a\r\nb\"", read: "a\nb"},
		{name: "leading space", in: " a", want: `" a"`},
		{name: "trailing tab", in: "a\t", want: "\"a\t\""},
		{name: "backslash", in: `\N`, want: `"\N"`},
		{name: "invalid UTF-8", in: "a\xffb", want: "a\uFFFDb", read: "a\uFFFDb"},
		{name: "invalid UTF-8 and quote", in: "\"\xff", want: "\"\"\"\uFFFD\"", read: "\"\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := []byte("x,")
			buf = finishCSVField(append(buf, tt.in...), len(buf))
			assert.Equal(t, "x,"+tt.want, string(buf))

			fields, err := csv.NewReader(strings.NewReader(string(buf) + "\r\n")).Read()
			require.NoError(t, err)
			want := tt.in
			if tt.read != "" {
				want = tt.read
			}
			assert.Equal(t, []string{"x", want}, fields)
		})
	}
}

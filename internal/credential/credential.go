// Package credential tells whether a name taken from an event (an event name, a key) may hold a
// credential pasted into it, so that a component can leave such a name out of what it logs,
// counts or answers. Values are never written to those places; names are, which is why they
// need the check.
package credential

// minRun is the shortest run of letters and digits, holding both, that InName takes for a
// credential: tokens and keys are 16 or more of them (an AWS access key id 20, a GitHub token
// 36, a JWT's segments more), where the words of names are shorter or hold no digit.
const minRun = 16

// InName reports whether name may hold a credential. Names are words of letters and digits
// joined by _ . - : / or spaces (USER_LOGIN, workspace.create, PutBucketPolicy, user.id); a
// name holding any other byte (= @ + " and the like), or a run of minRun letters and digits
// mixing both, is taken for one that may.
func InName(name string) bool {
	run, letters, digits := 0, false, false
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c >= 0x80:
			run, letters = run+1, true
		case '0' <= c && c <= '9':
			run, digits = run+1, true
		case c == '_' || c == '.' || c == '-' || c == ':' || c == '/' || c == ' ':
			run, letters, digits = 0, false, false
		default:
			return true
		}
		if run >= minRun && letters && digits {
			return true
		}
	}
	return false
}

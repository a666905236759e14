package auditlogreceiver

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditship/auditship/internal/auditevent"
	"github.com/auditship/auditship/internal/filepoll"
	"github.com/auditship/auditship/internal/objectkey"
)

// anyOrg, as a caller's only org, lets it write every org: meant for a trusted service that
// emits the events of all tenants, such as a multi-tenant application beside its sidecar.
const anyOrg = "*"

// grant is what one caller may write.
type grant struct {
	// name identifies the caller in logs (never the key): the keys file's first column.
	name   string
	anyOrg bool
	orgs   map[string]struct{}
}

func newGrant(name string, orgs []string) *grant {
	g := &grant{name: name, orgs: make(map[string]struct{}, len(orgs))}
	for _, org := range orgs {
		if org == anyOrg {
			g.anyOrg = true
		}
		g.orgs[org] = struct{}{}
	}
	return g
}

// forbidden counts the records of logs whose org the caller may not write. It runs after
// decoding and before anything is forwarded, so that a request is refused as a whole.
func (g *grant) forbidden(logs plog.Logs) int {
	if g.anyOrg {
		return 0
	}
	n := 0
	rls := logs.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			records := sls.At(j).LogRecords()
			for k := range records.Len() {
				if _, ok := g.orgs[auditevent.OrgID(records.At(k))]; !ok {
					n++
				}
			}
		}
	}
	return n
}

// access decides who the caller of a request is and what it may write.
type access struct {
	// keys is set when callers present API keys; otherwise authAttribute names where the auth
	// extension put the caller's orgs.
	keys          *keysFile
	header        string
	bearer        bool // the key follows "Bearer " in the Authorization header
	authAttribute string
}

func newAccess(cfg *TenantsConfig, logger *zap.Logger, tel *telemetry) *access {
	if cfg.AuthAttribute != "" {
		return &access{authAttribute: cfg.AuthAttribute}
	}
	header := cfg.Header
	if header == "" {
		header = defaultTenantsHeader
	}
	interval := cfg.ReloadInterval
	if interval == 0 {
		interval = defaultReloadInterval
	}
	return &access{
		keys: &keysFile{path: cfg.KeysFile, interval: interval, logger: logger, tel: tel,
			file: filepoll.New(cfg.KeysFile, parseKeys, func(a, b *keyring) bool { return reflect.DeepEqual(a, b) })},
		header: header,
		bearer: strings.EqualFold(header, defaultTenantsHeader),
	}
}

// caller returns what the request's caller may write, or nil when it is not known (401).
func (a *access) caller(r *http.Request) *grant {
	if a.keys == nil {
		return grantFromAuth(client.FromContext(r.Context()).Auth, a.authAttribute)
	}
	key := r.Header.Get(a.header)
	if a.bearer {
		const scheme = "bearer "
		if len(key) <= len(scheme) || !strings.EqualFold(key[:len(scheme)], scheme) {
			return nil
		}
		key = key[len(scheme):]
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return nil
	}
	return a.keys.current.Load().lookup(key)
}

// grantFromAuth reads the orgs an auth extension gave the caller: one org id (or *) as a
// string, or a list of them. An authenticated caller without the attribute may write nothing.
func grantFromAuth(auth client.AuthData, attribute string) *grant {
	if auth == nil {
		return nil
	}
	var orgs []string
	switch v := auth.GetAttribute(attribute).(type) {
	case string:
		orgs = []string{v}
	case []string:
		orgs = v
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				orgs = append(orgs, s)
			}
		}
	}
	if checkOrgs(orgs) != "" {
		// Claims the keys file would refuse (such as * beside other orgs) grant nothing: the
		// caller is authenticated, so its events are refused with 403, not 401.
		return newGrant("", nil)
	}
	return newGrant("", orgs)
}

// keyring is one version of the keys file. It holds SHA-256 digests only: the keys themselves
// are never stored, so the file (and a memory dump) does not hand out working keys.
type keyring struct {
	entries []keyEntry
}

type keyEntry struct {
	digest [sha256.Size]byte
	grant  *grant
}

// lookup compares the key's digest with every entry in constant time, without stopping at a
// match, so that timing tells nothing about which digests are near the key's.
func (k *keyring) lookup(key string) *grant {
	digest := sha256.Sum256([]byte(key))
	var found *grant
	for i := range k.entries {
		if subtle.ConstantTimeCompare(digest[:], k.entries[i].digest[:]) == 1 {
			found = k.entries[i].grant
		}
	}
	return found
}

// parseKeys reads a keys file: one key per line, `<name> <sha256 hex> <org>[,<org>...]`,
// separated by spaces or tabs; blank lines and lines starting with # are skipped. Errors name
// the line and never quote it, since a line may hold a key pasted by mistake.
func parseKeys(data []byte) (*keyring, error) {
	k := &keyring{}
	names := map[string]int{}
	digests := map[[sha256.Size]byte]int{}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 3 {
			errs = append(errs, fmt.Errorf("line %d: expected 3 fields (name, SHA-256 of the key in hex, org ids), found %d", line, len(fields)))
			continue
		}
		name, hexDigest, orgList := fields[0], fields[1], fields[2]
		var digest [sha256.Size]byte
		// The length first: hex.Decode writes as many bytes as the text holds.
		if len(hexDigest) != 2*sha256.Size {
			errs = append(errs, fmt.Errorf("line %d: the second field must be the SHA-256 of the key, 64 hex digits", line))
			continue
		}
		if _, err := hex.Decode(digest[:], []byte(hexDigest)); err != nil {
			errs = append(errs, fmt.Errorf("line %d: the second field must be the SHA-256 of the key, 64 hex digits", line))
			continue
		}
		orgs := strings.Split(orgList, ",")
		if problem := checkOrgs(orgs); problem != "" {
			errs = append(errs, fmt.Errorf("line %d: %s", line, problem))
			continue
		}
		if first, dup := names[name]; dup {
			errs = append(errs, fmt.Errorf("line %d: the name is already used on line %d", line, first))
			continue
		}
		if first, dup := digests[digest]; dup {
			errs = append(errs, fmt.Errorf("line %d: the same key as line %d", line, first))
			continue
		}
		names[name], digests[digest] = line, line
		k.entries = append(k.entries, keyEntry{digest: digest, grant: newGrant(name, orgs)})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(k.entries) == 0 {
		// Most likely a file caught half-written or emptied by mistake: refusing it keeps
		// every caller from being locked out.
		return nil, errors.New("no keys")
	}
	return k, nil
}

// checkOrgs says what is wrong with a list of org ids a caller may write, or "" when nothing
// is. An id the exporter could never write (objectkey.ValidOrgID) would grant nothing.
func checkOrgs(orgs []string) string {
	for _, org := range orgs {
		switch {
		case org == "":
			return "an empty org id in the list (org ids are separated by commas, without spaces)"
		case org == anyOrg:
			if len(orgs) > 1 {
				return "* (any org) must be the only org"
			}
		case !objectkey.ValidOrgID(org):
			return "an org id that is not 1 to 128 of A-Z a-z 0-9 . _ -"
		}
	}
	return ""
}

// keysFile holds the keys in use and replaces them when the file changes. There is no file
// notification here, so the file is polled (see filepoll: a file caught half-written, whose
// last org list may be cut into another org's id, is never put in use).
type keysFile struct {
	path     string
	interval time.Duration
	logger   *zap.Logger
	tel      *telemetry

	current atomic.Pointer[keyring]
	// Used by load and the watcher only, never concurrently: load runs before the watcher.
	file *filepoll.Poller[*keyring]

	stop    chan struct{}
	stopped sync.WaitGroup
}

// load reads the file at start: a problem fails start-up.
func (f *keysFile) load() error {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("tenants::keys_file: %w", err)
	}
	k, err := parseKeys(data)
	if err != nil {
		return fmt.Errorf("tenants::keys_file %s: %w", f.path, err)
	}
	f.file.Applied(data)
	f.current.Store(k)
	f.logger.Info("Loaded API keys", zap.String("keys_file", f.path), zap.Int("keys", len(k.entries)))
	return nil
}

// watch reloads the file whenever it changes, until close.
func (f *keysFile) watch() {
	f.stop = make(chan struct{})
	f.stopped.Add(1)
	go func() {
		defer f.stopped.Done()
		ticker := time.NewTicker(f.interval)
		defer ticker.Stop()
		for {
			select {
			case <-f.stop:
				return
			case <-ticker.C:
				f.reload()
			}
		}
	}()
}

func (f *keysFile) close() {
	if f.stop != nil {
		close(f.stop)
		f.stopped.Wait()
		f.stop = nil
	}
}

// reload replaces the keys once a changed file was read whole and is valid. A bad file is
// reported once per content, and the keys in use stay: a typo must not lock every caller out.
func (f *keysFile) reload() {
	k, changed, err := f.file.Poll()
	if err != nil {
		f.refuse(err)
		return
	}
	if !changed {
		return
	}
	f.current.Store(k)
	f.tel.keysReloaded(true)
	f.logger.Info("Reloaded API keys", zap.String("keys_file", f.path), zap.Int("keys", len(k.entries)))
}

func (f *keysFile) refuse(err error) {
	f.tel.keysReloaded(false)
	f.logger.Error("Refused the changed keys file; the previous keys stay in use",
		zap.String("keys_file", f.path), zap.Error(err))
}

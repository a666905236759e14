package check

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// dockerInstruction is one instruction of a Dockerfile, continuation lines joined.
type dockerInstruction struct {
	line int
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// dockerStage is one FROM and what follows it.
type dockerStage struct {
	image, name  string
	instructions []dockerInstruction
}

// parseDockerfile splits a Dockerfile into stages. Comment lines (and parser directives) are
// dropped, also inside continued instructions, as Docker does.
func parseDockerfile(text string) ([]dockerStage, error) {
	var stages []dockerStage
	var cur strings.Builder
	start, lineNo := 0, 0
	flush := func() error {
		logical := strings.TrimSpace(cur.String())
		cur.Reset()
		if logical == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(logical, " ")
		in := dockerInstruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			if len(f) == 0 {
				return fmt.Errorf("line %d: FROM without an image", start)
			}
			st := dockerStage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			return nil
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				return nil
			}
			return fmt.Errorf("line %d: %s before the first FROM", start, in.cmd)
		}
		st := &stages[len(stages)-1]
		st.instructions = append(st.instructions, in)
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	continued := false
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (!continued && trimmed == "") {
			continue
		}
		if !continued {
			start = lineNo
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continued = true
			continue
		}
		cur.WriteString(trimmed)
		continued = false
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if continued {
		return nil, fmt.Errorf("the last instruction ends with a backslash")
	}
	return stages, sc.Err()
}

func (s *dockerStage) all(cmd string) []dockerInstruction {
	var out []dockerInstruction
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// env returns the stage's ENV settings (KEY=value forms, and the old KEY value form).
func (s *dockerStage) env() map[string]string {
	env := map[string]string{}
	for _, in := range s.all("ENV") {
		if !strings.Contains(strings.Fields(in.args)[0], "=") {
			k, v, _ := strings.Cut(in.args, " ")
			env[k] = strings.TrimSpace(v)
			continue
		}
		for _, kv := range strings.Fields(in.args) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = strings.Trim(v, `"`)
		}
	}
	return env
}

// workdir returns the stage's last WORKDIR ("/" without one).
func (s *dockerStage) workdir() string {
	dir := "/"
	for _, in := range s.all("WORKDIR") {
		dir = path.Join(dir, in.args)
	}
	return dir
}

// execForm decodes a JSON-array argument (ENTRYPOINT, CMD, VOLUME).
func execForm(args string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil {
		return nil, fmt.Errorf("%q is not in exec (JSON array) form: %w", args, err)
	}
	return out, nil
}

// shellCommands splits a RUN's shell form into simple commands (on &&, ||, ; and |), each as
// its words, after the RUN flags (--mount=..., --network=...).
func shellCommands(args string) [][]string {
	f := strings.Fields(args)
	for len(f) > 0 && strings.HasPrefix(f[0], "--") {
		f = f[1:]
	}
	var cmds [][]string
	var cur []string
	for _, w := range f {
		switch w {
		case "&&", "||", ";", "|":
			cmds = append(cmds, cur)
			cur = nil
			continue
		}
		if trimmed, ok := strings.CutSuffix(w, ";"); ok {
			cmds = append(cmds, append(cur, trimmed))
			cur = nil
			continue
		}
		cur = append(cur, w)
	}
	return append(cmds, cur)
}

// makefile is what the tests need of the Makefile: variables and rules.
type makefile struct {
	vars  map[string]string
	rules map[string]makeRule
}

type makeRule struct {
	prereqs []string
	recipe  []string
}

var (
	makeAssign = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|\?=|=)\s*(.*)$`)
	makeRuleRe = regexp.MustCompile(`^([^\s:#=][^:=]*?):(?:\s+(.*))?$`)
	// envAssignment is a shell word that sets a variable for the command after it.
	envAssignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
)

func parseMakefile(text string) makefile {
	mk := makefile{vars: map[string]string{}, rules: map[string]makeRule{}}
	var current string
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "\t") {
			if current != "" {
				r := mk.rules[current]
				r.recipe = append(r.recipe, strings.TrimSpace(line))
				mk.rules[current] = r
			}
			continue
		}
		current = ""
		if m := makeAssign.FindStringSubmatch(line); m != nil {
			mk.vars[m[1]] = strings.TrimSpace(m[2])
			continue
		}
		if m := makeRuleRe.FindStringSubmatch(line); m != nil {
			current = m[1]
			r := mk.rules[current]
			r.prereqs = append(r.prereqs, strings.Fields(m[2])...)
			mk.rules[current] = r
		}
	}
	return mk
}

// ocbCommand returns the words after $(OCB) in the recipe that builds the collector. The
// command may start with environment settings for it (GOFLAGS=-pgo=...).
func (mk makefile) ocbCommand() ([]string, error) {
	for _, line := range mk.rules["$(COLLECTOR)"].recipe {
		f := strings.Fields(line)
		for len(f) > 0 && envAssignment.MatchString(f[0]) {
			f = f[1:]
		}
		if len(f) > 0 && f[0] == "$(OCB)" {
			return f[1:], nil
		}
	}
	return nil, fmt.Errorf("the Makefile's $(COLLECTOR) recipe runs no $(OCB)")
}

// goDirective returns the version of go.mod's `go` line.
func goDirective(gomod string) (string, error) {
	for line := range strings.Lines(gomod) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("go.mod has no go directive")
}

// checkBuildStage checks that the build stage builds the collector the way the Makefile does,
// with the Go of go.mod. It returns the problems found.
func checkBuildStage(build *dockerStage, mk makefile, goVersion string) []string {
	var problems []string
	repo, tag, ok := strings.Cut(build.image, ":")
	if !ok || path.Base(repo) != "golang" {
		problems = append(problems, fmt.Sprintf("the build stage's image %q is not a golang image with a tag", build.image))
	} else if v, _, _ := strings.Cut(strings.Split(tag, "@")[0], "-"); v != goVersion {
		problems = append(problems, fmt.Sprintf("the build stage uses Go %s (%s), go.mod says go %s", v, build.image, goVersion))
	}

	ocbArgs, err := mk.ocbCommand()
	if err != nil {
		return append(problems, err.Error())
	}
	buildsLikeMake := false
	for _, run := range build.all("RUN") {
		for _, cmd := range shellCommands(run.args) {
			if len(cmd) == 0 {
				continue
			}
			if cmd[0] == "make" && slices.Contains(cmd[1:], "build") {
				if !slices.Contains(mk.rules["build"].prereqs, "$(COLLECTOR)") {
					problems = append(problems, "the Dockerfile runs `make build`, but the Makefile's build target does not make $(COLLECTOR)")
				}
				buildsLikeMake = true
			}
			if (path.Base(cmd[0]) == "builder" || path.Base(cmd[0]) == "ocb") && slices.Equal(cmd[1:], ocbArgs) {
				buildsLikeMake = true
			}
		}
	}
	if !buildsLikeMake {
		problems = append(problems, fmt.Sprintf("no RUN of the build stage runs `make build` or the Makefile's ocb command (ocb %s)",
			strings.Join(ocbArgs, " ")))
	}
	return problems
}

// image is the parsed Dockerfile with its two stages of interest.
type image struct {
	stages       []dockerStage
	build, final *dockerStage
	binary       string // where the final stage puts the collector
	configPath   string // CMD's --config
	volumes      []string
}

func loadImage(t *testing.T) image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(data))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: want a build stage and a runtime stage, have %d stages", len(stages))
	}
	img := image{stages: stages, final: &stages[len(stages)-1]}
	entry := img.final.all("ENTRYPOINT")
	if len(entry) != 1 {
		t.Fatalf("Dockerfile: want one ENTRYPOINT in the runtime stage, have %d", len(entry))
	}
	ep, err := execForm(entry[0].args)
	if err != nil || len(ep) != 1 || path.Base(ep[0]) != "otelcol-audit" {
		t.Fatalf("Dockerfile: ENTRYPOINT %s must be exactly the otelcol-audit binary (%v)", entry[0].args, err)
	}
	img.binary = ep[0]
	// The binary comes from the build stage: as make build leaves it, or straight from ocb's
	// output directory.
	for _, cp := range img.final.all("COPY") {
		from := ""
		var rest []string
		for _, w := range strings.Fields(cp.args) {
			if v, ok := strings.CutPrefix(w, "--from="); ok {
				from = v
			} else if !strings.HasPrefix(w, "--") {
				rest = append(rest, w)
			}
		}
		if from == "" || len(rest) != 2 || rest[1] != img.binary {
			continue
		}
		for i := range stages {
			if stages[i].name != from {
				continue
			}
			img.build = &stages[i]
			wd := stages[i].workdir()
			if rest[0] != path.Join(wd, "bin/otelcol-audit") && rest[0] != path.Join(wd, "build/otelcol-audit/otelcol-audit") {
				t.Errorf("Dockerfile: the runtime stage's binary is %s, which is neither what make build nor what ocb writes", rest[0])
			}
		}
	}
	if img.build == nil {
		t.Fatalf("Dockerfile: the runtime stage copies its ENTRYPOINT %s from no named build stage", img.binary)
	}
	for _, cmd := range img.final.all("CMD") {
		args, err := execForm(cmd.args)
		if err != nil {
			t.Error(err)
		}
		for _, a := range args {
			if p, ok := strings.CutPrefix(a, "--config="); ok {
				img.configPath = p
			}
		}
	}
	for _, v := range img.final.all("VOLUME") {
		vols, err := execForm(v.args)
		if err != nil {
			vols = strings.Fields(v.args)
		}
		img.volumes = append(img.volumes, vols...)
	}
	return img
}

func TestDockerfileBuildsLikeTheMakefile(t *testing.T) {
	img := loadImage(t)
	mkText, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion, err := goDirective(string(gomod))
	if err != nil {
		t.Fatal(err)
	}
	mk := parseMakefile(string(mkText))
	if mk.vars["COLLECTOR"] != "bin/otelcol-audit" {
		t.Errorf("the Makefile's COLLECTOR is %q; the Dockerfile copies bin/otelcol-audit", mk.vars["COLLECTOR"])
	}
	for _, p := range checkBuildStage(img.build, mk, goVersion) {
		t.Error("Dockerfile: " + p)
	}
	// Whatever the runtime stage takes from the build stage's bin/ is something `make build`
	// makes: a binary the Makefile stopped building (or renamed) would break the image build.
	made := map[string]bool{}
	for _, pre := range mk.rules["build"].prereqs {
		if name, ok := strings.CutPrefix(pre, "$("); ok {
			made[mk.vars[strings.TrimSuffix(name, ")")]] = true
		}
	}
	binDir := path.Join(img.build.workdir(), "bin") + "/"
	for _, cp := range img.final.all("COPY") {
		if !strings.Contains(cp.args, "--from="+img.build.name) {
			continue
		}
		for _, w := range strings.Fields(cp.args) {
			if rel, ok := strings.CutPrefix(w, binDir); ok && !made["bin/"+rel] {
				t.Errorf("Dockerfile line %d copies %s, which `make build` does not make", cp.line, w)
			}
		}
	}
}

func TestDockerfileRuntime(t *testing.T) {
	img := loadImage(t)
	staticRuntime := strings.HasPrefix(img.final.image, "gcr.io/distroless/static") || img.final.image == "scratch"
	if !staticRuntime {
		t.Errorf("Dockerfile: runtime image %s, want distroless static or scratch", img.final.image)
	}
	if img.final.image == "scratch" {
		hasCerts := slices.ContainsFunc(img.final.all("COPY"), func(in dockerInstruction) bool { return strings.Contains(in.args, "ca-certificates") })
		if !hasCerts {
			t.Error("Dockerfile: a scratch image needs CA certificates for S3 and STS")
		}
	}
	if staticRuntime && img.build.env()["CGO_ENABLED"] != "0" {
		t.Error("Dockerfile: the runtime has no C library, so the build stage must set CGO_ENABLED=0")
	}
	users := img.final.all("USER")
	if len(users) == 0 {
		t.Error("Dockerfile: no USER: the collector would run as root")
	} else {
		uid, _, _ := strings.Cut(users[len(users)-1].args, ":")
		if n, err := strconv.Atoi(uid); err != nil || n == 0 {
			t.Errorf("Dockerfile: USER %s must be a numeric non-zero uid (so that runAsNonRoot can check it)", users[len(users)-1].args)
		}
	}
	if !slices.Contains(img.volumes, "/var/lib/otelcol-audit") {
		t.Errorf("Dockerfile: VOLUME %v, want /var/lib/otelcol-audit for the queue and spool", img.volumes)
	}
	var exposed []string
	for _, e := range img.final.all("EXPOSE") {
		for _, p := range strings.Fields(e.args) {
			exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
		}
	}
	for _, p := range []string{"8088", "13133"} {
		if !slices.Contains(exposed, p) {
			t.Errorf("Dockerfile: port %s is not exposed (have %v)", p, exposed)
		}
	}
	if img.configPath == "" {
		t.Error("Dockerfile: CMD gives no default --config")
	}

	// A bin/ or build/ copied in from the host would let `make build` think the binary is
	// up to date and put a host binary in the image.
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var ignored []string
	for line := range strings.Lines(string(ignore)) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			ignored = append(ignored, strings.Trim(line, "/"))
		}
	}
	for _, p := range []string{"bin", "build", ".tools", ".git"} {
		if !slices.Contains(ignored, p) {
			t.Errorf(".dockerignore does not leave out %s", p)
		}
	}
}

// The manifests run the image the way it is built: the binary, the default config path, the
// state directories on the image's volume.
func TestManifestsMatchTheImage(t *testing.T) {
	img := loadImage(t)
	for _, b := range loadBundles(t) {
		for _, c := range collectors(t, b) {
			if c.c.Command != nil && (len(c.c.Command) != 1 || c.c.Command[0] != img.binary) {
				t.Errorf("%s: command %v, the image's entrypoint is %s", c, c.c.Command, img.binary)
			}
			if c.configPath != img.configPath {
				t.Errorf("%s: --config=%s, the image's default is %s: mount the configuration there", c, c.configPath, img.configPath)
			}
			for _, dir := range c.config.stateDirs() {
				if !slices.ContainsFunc(img.volumes, func(v string) bool { return under(dir, v) }) {
					t.Errorf("%s: %s is outside the image's VOLUME %v", c, dir, img.volumes)
				}
			}
		}
	}
}

func TestBuildStageCheckCatchesDrift(t *testing.T) {
	mk := parseMakefile("COLLECTOR := bin/otelcol-audit\nbuild: $(COLLECTOR)\n\n$(COLLECTOR): $(OCB) builder-config.yaml\n\t@mkdir -p build\n\tGOFLAGS=-pgo=$(CURDIR)/x.pgo $(OCB) --config builder-config.yaml\n\tcp build/otelcol-audit/otelcol-audit $@\n")
	for name, tc := range map[string]struct {
		dockerfile string
		problems   int
	}{
		"make build":  {"FROM golang:1.26.0 AS build\nRUN --mount=type=cache,target=/x \\\n    make build\n", 0},
		"ocb":         {"FROM golang:1.26.0-alpine AS build\nRUN go install x/builder@v1 && /go/bin/builder --config builder-config.yaml\n", 0},
		"other ocb":   {"FROM golang:1.26.0 AS build\n# make build\nRUN builder --config other.yaml\n", 1},
		"go build":    {"FROM golang:1.26.0 AS build\nRUN go build ./...\n", 1},
		"old go":      {"FROM golang:1.25.3 AS build\nRUN make build\n", 1},
		"not golang":  {"FROM debian:12 AS build\nRUN make build\n", 1},
		"make target": {"FROM golang:1.26.0 AS build\nRUN make test\n", 1},
	} {
		stages, err := parseDockerfile(tc.dockerfile)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := checkBuildStage(&stages[0], mk, "1.26.0"); len(got) != tc.problems {
			t.Errorf("%s: problems %q, want %d", name, got, tc.problems)
		}
	}
}

package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Paths of the files under test, relative to this package's directory.
const (
	repoRoot       = "../.."
	kubernetesDir  = "../kubernetes"
	helmValuesFile = "../helm/values.yaml"
)

// kustomization is the part of kustomize's Kustomization our directories use. It is decoded as
// strictly as the Kubernetes objects: a key outside it fails the test.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images,omitempty"`
}

// kinds maps "apiVersion kind" to the type a document of that kind is decoded into. A kind
// that is not here fails the test: add it here, with its checks, when a manifest needs it.
var kinds = map[string]func() any{
	"v1 Namespace":                                  func() any { return &corev1.Namespace{} },
	"v1 ServiceAccount":                             func() any { return &corev1.ServiceAccount{} },
	"v1 ConfigMap":                                  func() any { return &corev1.ConfigMap{} },
	"v1 Secret":                                     func() any { return &corev1.Secret{} },
	"v1 Service":                                    func() any { return &corev1.Service{} },
	"apps/v1 Deployment":                            func() any { return &appsv1.Deployment{} },
	"apps/v1 StatefulSet":                           func() any { return &appsv1.StatefulSet{} },
	"policy/v1 PodDisruptionBudget":                 func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2 HorizontalPodAutoscaler":        func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1 NetworkPolicy":            func() any { return &networkingv1.NetworkPolicy{} },
	"kustomize.config.k8s.io/v1beta1 Kustomization": func() any { return &kustomization{} },
}

// object is one decoded document.
type object struct {
	source string // file:document number, for messages
	file   string // base name of the file
	kind   string
	name   string
	value  any // a pointer to one of the types of kinds
}

// decodeStrict decodes one YAML document into v, failing on duplicate keys, on keys v has no
// field for (at any depth), and on trailing data.
func decodeStrict(doc []byte, v any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the document")
	}
	return nil
}

// splitDocuments splits multi-document YAML on its `---` lines and drops documents that hold
// nothing but comments.
func splitDocuments(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "" {
			continue
		}
		docs = append(docs, doc)
	}
}

// decodeObject decodes one document by its apiVersion and kind.
func decodeObject(doc []byte) (kind, name string, value any, err error) {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return "", "", nil, err
	}
	newValue, ok := kinds[meta.APIVersion+" "+meta.Kind]
	if !ok {
		return "", "", nil, fmt.Errorf("unknown kind %q of apiVersion %q: the tests know %s",
			meta.Kind, meta.APIVersion, strings.Join(knownKinds(), ", "))
	}
	value = newValue()
	if err := decodeStrict(doc, value); err != nil {
		return "", "", nil, fmt.Errorf("%s %q: %w", meta.Kind, meta.Metadata.Name, err)
	}
	return meta.Kind, meta.Metadata.Name, value, nil
}

func knownKinds() []string {
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// decodeFile decodes every document of a file.
func decodeFile(path string) ([]object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var objects []object
	for i, doc := range docs {
		kind, name, value, err := decodeObject(doc)
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", path, i+1, err)
		}
		objects = append(objects, object{
			source: fmt.Sprintf("%s#%d", path, i+1),
			file:   filepath.Base(path),
			kind:   kind,
			name:   name,
			value:  value,
		})
	}
	return objects, nil
}

// bundle is one directory of deploy/kubernetes: what `kubectl apply -k` applies together.
type bundle struct {
	dir     string
	files   []string // base names of its YAML files
	objects []object
}

// loadBundles decodes every YAML file under deploy/kubernetes, one bundle per directory.
func loadBundles(t *testing.T) []*bundle {
	t.Helper()
	byDir := map[string]*bundle{}
	err := filepath.WalkDir(kubernetesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		dir := filepath.Dir(path)
		b := byDir[dir]
		if b == nil {
			b = &bundle{dir: dir}
			byDir[dir] = b
		}
		b.files = append(b.files, filepath.Base(path))
		objects, err := decodeFile(path)
		if err != nil {
			return err
		}
		b.objects = append(b.objects, objects...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var bundles []*bundle
	for _, b := range byDir {
		bundles = append(bundles, b)
	}
	sort.Slice(bundles, func(i, j int) bool { return bundles[i].dir < bundles[j].dir })
	if len(bundles) == 0 {
		t.Fatalf("no manifests under %s", kubernetesDir)
	}
	return bundles
}

// find returns the objects of one kind.
func find[T any](b *bundle) []*T {
	var out []*T
	for _, o := range b.objects {
		if v, ok := o.value.(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

func TestDecodeStrictRefusesUnknownFields(t *testing.T) {
	doc := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  lables: {a: b}\n")
	if _, _, _, err := decodeObject(doc); err == nil || !strings.Contains(err.Error(), "lables") {
		t.Fatalf("a misspelt field must fail, naming it; got %v", err)
	}
	doc = []byte("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          resource: {}\n")
	if _, _, _, err := decodeObject(doc); err == nil || !strings.Contains(err.Error(), "resource") {
		t.Fatalf("a misspelt nested field must fail, naming it; got %v", err)
	}
	doc = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n")
	if _, _, _, err := decodeObject(doc); err == nil {
		t.Fatal("a duplicate key must fail")
	}
}

func TestDecodeRefusesUnknownKinds(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n",
		"apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: x\n",
		"apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: x\n",
	} {
		if _, _, _, err := decodeObject([]byte(doc)); err == nil || !strings.Contains(err.Error(), "unknown kind") {
			t.Errorf("%q: want an unknown-kind error, got %v", doc, err)
		}
	}
}

func TestSplitDocuments(t *testing.T) {
	data := []byte("# only a comment\n---\na: 1\n---\n\n---\nb: 2\n")
	docs, err := splitDocuments(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("got %d documents, want 2: %q", len(docs), docs)
	}
}

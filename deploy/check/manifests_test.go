package check

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// collectorImage is the image name the manifests give the collector; each directory's
// kustomization.yaml replaces it by the image you pushed.
const collectorImage = "otelcol-audit"

// irsaAnnotation names the IAM role of a service account on EKS.
const irsaAnnotation = "eks.amazonaws.com/role-arn"

// senderLabel is the namespace label that lets applications reach the gateway.
const senderLabel = "auditship.io/audit-sender"

// workload is a Deployment or a StatefulSet.
type workload struct {
	kind, name     string
	replicas       *int32
	selector       *metav1.LabelSelector
	pod            *corev1.PodTemplateSpec
	claimTemplates []corev1.PersistentVolumeClaim
}

func workloads(b *bundle) []workload {
	var out []workload
	for _, d := range find[appsv1.Deployment](b) {
		out = append(out, workload{kind: "Deployment", name: d.Name, replicas: d.Spec.Replicas, selector: d.Spec.Selector, pod: &d.Spec.Template})
	}
	for _, s := range find[appsv1.StatefulSet](b) {
		out = append(out, workload{kind: "StatefulSet", name: s.Name, replicas: s.Spec.Replicas, selector: s.Spec.Selector, pod: &s.Spec.Template,
			claimTemplates: s.Spec.VolumeClaimTemplates})
	}
	return out
}

// allContainers returns the init containers (native sidecars among them) and the containers.
func allContainers(pod *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range pod.InitContainers {
		out = append(out, &pod.InitContainers[i])
	}
	for i := range pod.Containers {
		out = append(out, &pod.Containers[i])
	}
	return out
}

func isCollector(c *corev1.Container) bool {
	return c.Image == collectorImage || strings.Contains(c.Image, "/"+collectorImage+":")
}

// collector is one otelcol-audit container with the configuration it runs.
type collector struct {
	w          workload
	c          *corev1.Container
	configPath string
	config     *collectorConfig
	env        map[string]string // what validation needs of the container's environment
	routes     map[string]string // routes_file -> its content
	keys       map[string]string // tenants::keys_file -> its content
}

func (c collector) String() string {
	return fmt.Sprintf("%s %s, container %s", c.w.kind, c.w.name, c.c.Name)
}

// configArg returns the path of the container's --config argument.
func configArg(t *testing.T, args []string) string {
	t.Helper()
	var paths []string
	for _, a := range args {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			paths = append(paths, strings.TrimPrefix(p, "file:"))
		}
	}
	if len(paths) != 1 {
		t.Fatalf("want exactly one --config=<file> argument, have %q", args)
	}
	return paths[0]
}

// fileMount finds the volume mount that shows file in a container, the volume behind it and
// the key (the name within the volume) file has there.
func fileMount(t *testing.T, pod *corev1.PodSpec, c *corev1.Container, file string) (string, *corev1.VolumeMount, *corev1.Volume) {
	t.Helper()
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		var key string
		switch {
		case m.SubPath == "" && path.Dir(file) == path.Clean(m.MountPath):
			key = path.Base(file)
		case m.SubPath != "" && path.Clean(m.MountPath) == path.Clean(file):
			key = m.SubPath
		default:
			continue
		}
		vol := volumeNamed(pod, m.Name)
		if vol == nil {
			t.Fatalf("%s is mounted from volume %q, which the pod does not have", file, m.Name)
		}
		return key, m, vol
	}
	t.Fatalf("%s is on no volume mount of container %s", file, c.Name)
	return "", nil, nil
}

// itemKey maps a path within a volume back to the key of the ConfigMap or Secret it shows.
func itemKey(items []corev1.KeyToPath, key string) string {
	for _, item := range items {
		if item.Path == key {
			return item.Key
		}
	}
	return key
}

// mountedFile resolves a file path in a container to the ConfigMap key it shows, failing when
// it is not a file of a ConfigMap of the bundle. It also returns the mount.
func mountedFile(t *testing.T, b *bundle, pod *corev1.PodSpec, c *corev1.Container, file string) (string, *corev1.VolumeMount) {
	t.Helper()
	key, m, vol := fileMount(t, pod, c, file)
	if vol.ConfigMap == nil {
		t.Fatalf("%s is mounted from volume %q, which is not a ConfigMap volume", file, m.Name)
	}
	key = itemKey(vol.ConfigMap.Items, key)
	cm := configMapNamed(b, vol.ConfigMap.Name)
	if cm == nil {
		t.Fatalf("%s: ConfigMap %q is not in %s", file, vol.ConfigMap.Name, b.dir)
	}
	data, ok := cm.Data[key]
	if !ok {
		t.Fatalf("%s: ConfigMap %q has no key %q", file, cm.Name, key)
	}
	return data, m
}

// mountedSecretFile is mountedFile for a file that must come from a Secret of the bundle.
func mountedSecretFile(t *testing.T, b *bundle, pod *corev1.PodSpec, c *corev1.Container, file string) (string, *corev1.VolumeMount) {
	t.Helper()
	key, m, vol := fileMount(t, pod, c, file)
	if vol.Secret == nil {
		t.Fatalf("%s is mounted from volume %q, which is not a Secret volume", file, m.Name)
	}
	key = itemKey(vol.Secret.Items, key)
	for _, sec := range find[corev1.Secret](b) {
		if sec.Name != vol.Secret.SecretName {
			continue
		}
		if data, ok := sec.StringData[key]; ok {
			return data, m
		}
		if data, ok := sec.Data[key]; ok {
			return string(data), m
		}
		t.Fatalf("%s: Secret %q has no key %q", file, sec.Name, key)
	}
	t.Fatalf("%s: Secret %q is not in %s", file, vol.Secret.SecretName, b.dir)
	return "", nil
}

func volumeNamed(pod *corev1.PodSpec, name string) *corev1.Volume {
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == name {
			return &pod.Volumes[i]
		}
	}
	return nil
}

func configMapNamed(b *bundle, name string) *corev1.ConfigMap {
	for _, cm := range find[corev1.ConfigMap](b) {
		if cm.Name == name {
			return cm
		}
	}
	return nil
}

// collectors finds the collector containers of a bundle and reads their configurations.
func collectors(t *testing.T, b *bundle) []collector {
	t.Helper()
	var out []collector
	for _, w := range workloads(b) {
		for _, c := range allContainers(&w.pod.Spec) {
			if !isCollector(c) {
				continue
			}
			col := collector{w: w, c: c, env: map[string]string{}, routes: map[string]string{}, keys: map[string]string{}}
			col.configPath = configArg(t, c.Args)
			text, _ := mountedFile(t, b, &w.pod.Spec, c, col.configPath)
			cfg, err := parseCollectorConfig(text)
			if err != nil {
				t.Fatalf("%s: %s: %v", col, col.configPath, err)
			}
			col.config = cfg
			for _, name := range requiredEnv(text) {
				v, ok := envValue(c.Env, name)
				if !ok {
					t.Errorf("%s: the configuration reads ${env:%s}, which the container does not set", col, name)
				}
				col.env[name] = v
			}
			for _, f := range cfg.routesFiles() {
				routes, _ := mountedFile(t, b, &w.pod.Spec, c, f)
				col.routes[f] = routes
			}
			for _, f := range cfg.keysFiles() {
				keys, _ := mountedSecretFile(t, b, &w.pod.Spec, c, f)
				col.keys[f] = keys
			}
			out = append(out, col)
		}
	}
	return out
}

// envValue returns the value a variable gets for validation: its value, or a stand-in for one
// the kubelet fills in (the pod IP, ...).
func envValue(env []corev1.EnvVar, name string) (string, bool) {
	for _, e := range env {
		if e.Name != name {
			continue
		}
		if e.ValueFrom == nil {
			return e.Value, true
		}
		if e.ValueFrom.FieldRef != nil && strings.HasSuffix(e.ValueFrom.FieldRef.FieldPath, "IP") {
			return "127.0.0.1", true
		}
		return "placeholder", true
	}
	return "", false
}

func TestManifests(t *testing.T) {
	for _, b := range loadBundles(t) {
		t.Run(filepath.Base(b.dir), func(t *testing.T) {
			checkKustomization(t, b)
			if len(workloads(b)) == 0 {
				t.Fatal("no Deployment or StatefulSet")
			}
			for _, w := range workloads(b) {
				checkWorkload(t, b, w)
			}
			cols := collectors(t, b)
			if len(cols) == 0 {
				t.Fatalf("no container runs the %s image", collectorImage)
			}
			for _, c := range cols {
				checkCollector(t, b, c)
			}
			checkServices(t, b)
			checkDisruptionAndScaling(t, b)
			checkNetworkPolicies(t, b)
		})
	}
}

// The gateway directory holds what the issue asks of a gateway.
func TestGatewayHasEverything(t *testing.T) {
	var gw *bundle
	for _, b := range loadBundles(t) {
		if filepath.Base(b.dir) == "gateway" {
			gw = b
		}
	}
	if gw == nil {
		t.Fatal("no deploy/kubernetes/gateway")
	}
	want := map[string]int{"StatefulSet": 0, "Service": 0, "PodDisruptionBudget": 0, "HorizontalPodAutoscaler": 0,
		"NetworkPolicy": 0, "ServiceAccount": 0, "ConfigMap": 0, "Secret": 0}
	for _, o := range gw.objects {
		if _, ok := want[o.kind]; ok {
			want[o.kind]++
		}
	}
	for kind, n := range want {
		if n == 0 {
			t.Errorf("the gateway has no %s", kind)
		}
	}
	for _, ns := range find[corev1.Namespace](gw) {
		if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("Namespace %s does not enforce the restricted Pod Security Standard", ns.Name)
		}
	}
	for _, c := range collectors(t, gw) {
		if len(c.routes) == 0 {
			t.Errorf("%s: no routes_file", c)
		}
		if len(c.keys) == 0 {
			t.Errorf("%s: no tenants::keys_file: a shared gateway binds each sender to its tenants", c)
		}
		if len(c.config.components("extensions", "file_storage")) == 0 {
			t.Errorf("%s: no file_storage extension for a persistent queue", c)
		}
		for id, e := range c.config.components("exporters", "audits3") {
			storage := lookupString(e, "sending_queue", "storage")
			if _, ok := c.config.components("extensions", "file_storage")[storage]; !ok {
				t.Errorf("%s: exporters::%s::sending_queue::storage is %q, not a file_storage extension", c, id, storage)
			}
		}
		if host, ok := c.config.listeners(t)["8088"]; !ok || host != "0.0.0.0" {
			t.Errorf("%s: the auditlog receiver must listen on 0.0.0.0:8088, have host %q", c, host)
		}
	}
}

func checkKustomization(t *testing.T, b *bundle) {
	t.Helper()
	ks := find[kustomization](b)
	if len(ks) != 1 {
		t.Fatalf("want one kustomization.yaml, have %d", len(ks))
	}
	k := ks[0]
	var want []string
	for _, f := range b.files {
		if f != "kustomization.yaml" {
			want = append(want, f)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml resources %v, want every other file of the directory: %v", got, want)
	}
	hasImage := false
	for _, img := range k.Images {
		if img.Name == collectorImage {
			hasImage = img.NewName != "" || img.NewTag != "" || img.Digest != ""
		}
	}
	if !hasImage {
		t.Errorf("kustomization.yaml does not set the %s image", collectorImage)
	}
	for _, o := range b.objects {
		if o.kind == "Kustomization" || o.kind == "Namespace" {
			continue
		}
		ns := o.value.(metav1.Object).GetNamespace()
		if k.Namespace != "" && ns != "" && ns != k.Namespace {
			t.Errorf("%s: namespace %q, but kustomization.yaml puts everything in %q", o.source, ns, k.Namespace)
		}
	}
}

func checkWorkload(t *testing.T, b *bundle, w workload) {
	t.Helper()
	where := w.kind + " " + w.name
	sel, err := metav1.LabelSelectorAsSelector(w.selector)
	if err != nil || sel.Empty() {
		t.Errorf("%s: bad or empty selector: %v", where, err)
	} else if !sel.Matches(labels.Set(w.pod.Labels)) {
		t.Errorf("%s: selector %s does not match its pod labels %v", where, sel, w.pod.Labels)
	}
	pod := &w.pod.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod securityContext.runAsNonRoot must be true", where)
	}
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		t.Errorf("%s: pod runs as uid 0", where)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccompProfile must be RuntimeDefault", where)
	}
	for _, c := range allContainers(pod) {
		checkContainer(t, where+", container "+c.Name, psc, c)
		for _, m := range c.VolumeMounts {
			if volumeNamed(pod, m.Name) == nil && !slices.ContainsFunc(w.claimTemplates, func(p corev1.PersistentVolumeClaim) bool { return p.Name == m.Name }) {
				t.Errorf("%s, container %s: volume mount %q has no volume", where, c.Name, m.Name)
			}
		}
	}
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil && configMapNamed(b, v.ConfigMap.Name) == nil {
			t.Errorf("%s: volume %s names ConfigMap %q, which is not in %s", where, v.Name, v.ConfigMap.Name, b.dir)
		}
	}
	if pod.ServiceAccountName != "" {
		var sa *corev1.ServiceAccount
		for _, s := range find[corev1.ServiceAccount](b) {
			if s.Name == pod.ServiceAccountName {
				sa = s
			}
		}
		if sa == nil {
			t.Errorf("%s: service account %q is not in %s", where, pod.ServiceAccountName, b.dir)
		} else {
			checkIRSA(t, "ServiceAccount "+sa.Name, sa.Annotations)
		}
	}
}

func checkIRSA(t *testing.T, where string, annotations map[string]string) {
	t.Helper()
	arn := annotations[irsaAnnotation]
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || len(parts[4]) != 12 || !strings.HasPrefix(parts[5], "role/") {
		t.Errorf("%s: annotation %s = %q, want arn:aws:iam::<12 digits>:role/<name>", where, irsaAnnotation, arn)
	}
}

// checkContainer: resources, and a securityContext that runs it unprivileged on a read-only
// root filesystem.
func checkContainer(t *testing.T, where string, psc *corev1.PodSecurityContext, c *corev1.Container) {
	t.Helper()
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
			t.Errorf("%s: no %s request", where, r)
		}
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok || q.IsZero() {
		t.Errorf("%s: no memory limit", where)
	}
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("%s: no securityContext", where)
		return
	}
	nonRoot := sc.RunAsNonRoot != nil && *sc.RunAsNonRoot ||
		sc.RunAsNonRoot == nil && psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot
	if !nonRoot {
		t.Errorf("%s: runAsNonRoot is not true", where)
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		t.Errorf("%s: runs as uid 0", where)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", where)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem must be true", where)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: privileged", where)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities must drop ALL and add none", where)
	}
}

// checkCollector: the configuration the container runs fits the pod it runs in.
func checkCollector(t *testing.T, b *bundle, c collector) {
	t.Helper()
	pod := &c.w.pod.Spec
	cfg := c.config

	// The config is mounted read-only where --config points (mountedFile checked the rest).
	if _, m := mountedFile(t, b, pod, c.c, c.configPath); !m.ReadOnly {
		t.Errorf("%s: the configuration's mount %s is not readOnly", c, m.MountPath)
	}

	// Probes reach the health_check extension.
	port, urlPath := cfg.healthCheck(t)
	if host := cfg.listeners(t)[port]; loopback(host) {
		t.Errorf("%s: health_check listens on %s, which the kubelet cannot reach", c, host)
	}
	for name, p := range map[string]*corev1.Probe{"livenessProbe": c.c.LivenessProbe, "readinessProbe": c.c.ReadinessProbe, "startupProbe": c.c.StartupProbe} {
		if p == nil {
			if name != "startupProbe" {
				t.Errorf("%s: no %s", c, name)
			}
			continue
		}
		if p.HTTPGet == nil {
			t.Errorf("%s: %s is not an httpGet on the health_check extension", c, name)
			continue
		}
		got := containerPort(c.c, p.HTTPGet.Port)
		if p.HTTPGet.Port.Type == intstr.Int {
			got = p.HTTPGet.Port.String() // the kubelet probes a number whether declared or not
		}
		if got != port {
			t.Errorf("%s: %s probes port %s (%s), health_check listens on %s", c, name, p.HTTPGet.Port.String(), got, port)
		}
		if p.HTTPGet.Path != urlPath {
			t.Errorf("%s: %s probes path %q, health_check answers on %q", c, name, p.HTTPGet.Path, urlPath)
		}
	}

	// Every server reachable from outside the pod has a declared port.
	for port, host := range cfg.listeners(t) {
		if loopback(host) {
			continue
		}
		if containerPort(c.c, intstr.Parse(port)) == "" {
			t.Errorf("%s: the configuration listens on %s:%s, which is not among the container's ports", c, host, port)
		}
	}

	if ids := cfg.keysWithoutUnique(); len(ids) > 0 {
		t.Errorf("%s: exporters %v have no {unique} in their key: several collectors write the same tenants", c, ids)
	}

	// Whatever the collector writes is on a writable volume that outlives the container: a
	// volumeClaimTemplate in a StatefulSet (the persistent queue and the spool must survive
	// the pod), at least an emptyDir elsewhere.
	dirs := cfg.stateDirs()
	if len(dirs) == 0 {
		t.Errorf("%s: no spool directory", c)
	}
	for _, dir := range dirs {
		m := mountOf(c.c, dir)
		if m == nil {
			t.Errorf("%s: %s is on no volume (the root filesystem is read-only)", c, dir)
			continue
		}
		if m.ReadOnly {
			t.Errorf("%s: %s is on read-only mount %s", c, dir, m.MountPath)
		}
		persistent := slices.ContainsFunc(c.w.claimTemplates, func(p corev1.PersistentVolumeClaim) bool { return p.Name == m.Name })
		if c.w.kind == "StatefulSet" && !persistent {
			t.Errorf("%s: %s is on volume %q, not on a volumeClaimTemplate", c, dir, m.Name)
		}
		if v := volumeNamed(pod, m.Name); !persistent && (v == nil || v.EmptyDir == nil && v.PersistentVolumeClaim == nil) {
			t.Errorf("%s: %s is on volume %q, neither an emptyDir nor a PersistentVolumeClaim", c, dir, m.Name)
		}
	}

	// The routes file is a directory mount of a ConfigMap (a subPath mount is never updated,
	// so the reload would never see a change).
	for f := range c.routes {
		if _, m := mountedFile(t, b, pod, c.c, f); m.SubPath != "" {
			t.Errorf("%s: routes file %s is a subPath mount, which the kubelet never updates", c, f)
		}
	}
	// The same for the API keys, which come from a Secret (mountedSecretFile checked that).
	for f := range c.keys {
		if _, m := mountedSecretFile(t, b, pod, c.c, f); m.SubPath != "" {
			t.Errorf("%s: keys file %s is a subPath mount, which the kubelet never updates", c, f)
		}
	}

	if ids := cfg.unboundReceivers(t); len(ids) > 0 {
		t.Errorf("%s: receivers %v take events from beyond the pod without binding callers to their tenants (auditlog needs `tenants`; otlp has no binding): any sender could write any org", c, ids)
	}

	// GOMEMLIMIT below the memory limit.
	if v, ok := envValue(c.c.Env, "GOMEMLIMIT"); ok {
		q, err := resource.ParseQuantity(strings.TrimSuffix(v, "B"))
		limit := c.c.Resources.Limits[corev1.ResourceMemory]
		if err != nil || q.Cmp(limit) >= 0 {
			t.Errorf("%s: GOMEMLIMIT=%s must be below the memory limit %s (%v)", c, v, limit.String(), err)
		}
	}

	// The grace period covers the preStop hook, the exporter's uploads at shutdown and the
	// rest of the shutdown.
	grace := 30 * time.Second
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	if need := shutdownNeeds(t, cfg, c.c); grace < need {
		t.Errorf("%s: terminationGracePeriodSeconds %s is less than preStop + the exporter's timeout + %s (%s)", c, grace, shutdownMargin, need)
	}
}

// shutdownMargin is what a collector needs on SIGTERM besides the exporter's uploads:
// receivers draining, the queue and the spool closing (docs/operations.md: "at least
// `timeout` + 15s").
const shutdownMargin = 15 * time.Second

// shutdownNeeds is the termination grace period a collector container needs.
func shutdownNeeds(t *testing.T, cfg *collectorConfig, c *corev1.Container) time.Duration {
	t.Helper()
	return preStopSleep(c) + cfg.shutdownBudget(t) + shutdownMargin
}

func preStopSleep(c *corev1.Container) time.Duration {
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		return time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	return 0
}

// mountOf returns the deepest mount holding dir.
func mountOf(c *corev1.Container, dir string) *corev1.VolumeMount {
	var best *corev1.VolumeMount
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		if under(dir, m.MountPath) && (best == nil || len(m.MountPath) > len(best.MountPath)) {
			best = m
		}
	}
	return best
}

// containerPort resolves a port (number or name) to the number of a port the container
// declares, "" when it declares none such: Services and NetworkPolicies need declared ports.
func containerPort(c *corev1.Container, p intstr.IntOrString) string {
	for _, cp := range c.Ports {
		if p.Type == intstr.String && cp.Name == p.StrVal || p.Type == intstr.Int && cp.ContainerPort == p.IntVal {
			return fmt.Sprint(cp.ContainerPort)
		}
	}
	return ""
}

// selecting returns the workloads whose pods a selector selects.
func selecting(b *bundle, sel labels.Selector) []workload {
	var out []workload
	for _, w := range workloads(b) {
		if !sel.Empty() && sel.Matches(labels.Set(w.pod.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func checkServices(t *testing.T, b *bundle) {
	t.Helper()
	for _, s := range find[corev1.Service](b) {
		ws := selecting(b, labels.SelectorFromSet(s.Spec.Selector))
		if len(ws) == 0 {
			t.Errorf("Service %s selects no pod of %s", s.Name, b.dir)
			continue
		}
		for _, p := range s.Spec.Ports {
			target := p.TargetPort
			if target.IntVal == 0 && target.StrVal == "" {
				target = intstr.FromInt32(p.Port)
			}
			found := false
			for _, w := range ws {
				for _, c := range allContainers(&w.pod.Spec) {
					found = found || containerPort(c, target) != ""
				}
			}
			if !found {
				t.Errorf("Service %s: port %s targets %s, which no selected container declares", s.Name, p.Name, target.String())
			}
		}
	}
	for _, st := range find[appsv1.StatefulSet](b) {
		var governing *corev1.Service
		for _, s := range find[corev1.Service](b) {
			if s.Name == st.Spec.ServiceName {
				governing = s
			}
		}
		if governing == nil || governing.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("StatefulSet %s: serviceName %q must be a headless Service of %s", st.Name, st.Spec.ServiceName, b.dir)
		}
		if p := st.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && (p.WhenScaled == appsv1.DeletePersistentVolumeClaimRetentionPolicyType || p.WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType) {
			t.Errorf("StatefulSet %s: PVCs must be retained: a volume may hold undelivered events", st.Name)
		}
	}
}

func checkDisruptionAndScaling(t *testing.T, b *bundle) {
	t.Helper()
	for _, pdb := range find[policyv1.PodDisruptionBudget](b) {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || len(selecting(b, sel)) == 0 {
			t.Errorf("PodDisruptionBudget %s selects no workload: %v", pdb.Name, err)
		}
	}
	for _, hpa := range find[autoscalingv2.HorizontalPodAutoscaler](b) {
		ref := hpa.Spec.ScaleTargetRef
		var target *workload
		for _, w := range workloads(b) {
			if w.kind == ref.Kind && w.name == ref.Name && ref.APIVersion == "apps/v1" {
				target = &w
			}
		}
		if target == nil {
			t.Errorf("HorizontalPodAutoscaler %s: scaleTargetRef %s/%s %s is not in %s", hpa.Name, ref.APIVersion, ref.Kind, ref.Name, b.dir)
			continue
		}
		if target.replicas != nil {
			t.Errorf("%s %s sets replicas, which every `kubectl apply` would reset under HorizontalPodAutoscaler %s", target.kind, target.name, hpa.Name)
		}
		if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
			t.Errorf("HorizontalPodAutoscaler %s: minReplicas below 2 leaves no replica during a disruption", hpa.Name)
		}
		if len(hpa.Spec.Metrics) == 0 {
			t.Errorf("HorizontalPodAutoscaler %s: no metrics", hpa.Name)
		}
		// A replica scaled away keeps its undelivered events on its volume until it is back:
		// scale down slowly.
		if target.kind == "StatefulSet" {
			beh := hpa.Spec.Behavior
			if !scaleDownDisabled(beh) {
				t.Errorf("HorizontalPodAutoscaler %s: scaleDown.selectPolicy must be Disabled for a StatefulSet with spools: a replica scaled away leaves its events on its volume", hpa.Name)
			}
		}
	}
}

// scaleDownDisabled tells whether an autoscaler never removes replicas.
func scaleDownDisabled(b *autoscalingv2.HorizontalPodAutoscalerBehavior) bool {
	return b != nil && b.ScaleDown != nil && b.ScaleDown.SelectPolicy != nil &&
		*b.ScaleDown.SelectPolicy == autoscalingv2.DisabledPolicySelect
}

func checkNetworkPolicies(t *testing.T, b *bundle) {
	t.Helper()
	for _, np := range find[networkingv1.NetworkPolicy](b) {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		ws := selecting(b, sel)
		if err != nil || len(ws) == 0 {
			t.Errorf("NetworkPolicy %s selects no workload: %v", np.Name, err)
			continue
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("NetworkPolicy %s does not restrict ingress", np.Name)
		}
		auditPortAllowed := false
		for i, rule := range np.Spec.Ingress {
			if len(rule.From) == 0 {
				t.Errorf("NetworkPolicy %s: ingress rule %d has no `from`: open to every pod and address", np.Name, i)
			}
			if len(rule.Ports) == 0 {
				t.Errorf("NetworkPolicy %s: ingress rule %d opens every port", np.Name, i)
			}
			for _, peer := range rule.From {
				if peer.IPBlock != nil || peer.NamespaceSelector == nil {
					t.Errorf("NetworkPolicy %s: ingress rule %d admits something other than labelled namespaces", np.Name, i)
				}
			}
			for _, p := range rule.Ports {
				if p.Port != nil && p.Port.String() == "8088" {
					for _, peer := range rule.From {
						if peer.NamespaceSelector != nil && peer.NamespaceSelector.MatchLabels[senderLabel] == "true" {
							auditPortAllowed = true
						}
					}
				}
			}
		}
		if !auditPortAllowed {
			t.Errorf("NetworkPolicy %s: port 8088 must be open to namespaces labelled %s=true", np.Name, senderLabel)
		}
	}
}

// TestManifestConfigsValidate runs every collector configuration of the manifests through the
// built collector's `validate`, with the environment its container gives it; a configuration
// with a routes file is validated a second time with the file's routes inlined.
func TestManifestConfigsValidate(t *testing.T) {
	bin := collectorBinary(t)
	for _, b := range loadBundles(t) {
		for _, c := range collectors(t, b) {
			name := filepath.Base(b.dir) + "/" + c.w.name + "/" + c.c.Name
			t.Run(name, func(t *testing.T) {
				if err := validate(t, bin, name, c.config.text, c.env); err != nil {
					t.Error(err)
				}
				for f, routes := range c.routes {
					if err := validate(t, bin, name+"-routes", withRoutes(t, c.config, routes), c.env); err != nil {
						t.Errorf("with the routes of %s: %v", f, err)
					}
				}
			})
		}
	}
}

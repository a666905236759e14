package check

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// helmValues are the keys of the upstream opentelemetry-collector chart's values.yaml that
// deploy/helm/values.yaml sets, typed as the chart uses them: the Kubernetes ones as the API
// types the chart copies them into. A key that is not here fails the test: a misspelt key is
// silently ignored by the chart. When values.yaml needs another chart key, add it here after
// checking the chart's values.yaml.
type helmValues struct {
	Mode         string `json:"mode"`
	ReplicaCount *int32 `json:"replicaCount"`
	Image        struct {
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
		Digest     string `json:"digest"`
		PullPolicy string `json:"pullPolicy"`
	} `json:"image"`
	Command struct {
		Name      string   `json:"name"`
		ExtraArgs []string `json:"extraArgs"`
	} `json:"command"`
	ServiceAccount struct {
		Create      bool              `json:"create"`
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"serviceAccount"`
	AlternateConfig    map[string]any              `json:"alternateConfig"`
	Config             map[string]any              `json:"config"`
	Ports              map[string]helmPort         `json:"ports"`
	UseGOMEMLIMIT      *bool                       `json:"useGOMEMLIMIT"`
	Resources          corev1.ResourceRequirements `json:"resources"`
	PodSecurityContext *corev1.PodSecurityContext  `json:"podSecurityContext"`
	SecurityContext    *corev1.SecurityContext     `json:"securityContext"`
	LifecycleHooks     *corev1.Lifecycle           `json:"lifecycleHooks"`
	StartupProbe       *corev1.Probe               `json:"startupProbe"`
	LivenessProbe      *corev1.Probe               `json:"livenessProbe"`
	ReadinessProbe     *corev1.Probe               `json:"readinessProbe"`
	ExtraEnvs          []corev1.EnvVar             `json:"extraEnvs"`
	ExtraVolumes       []corev1.Volume             `json:"extraVolumes"`
	ExtraVolumeMounts  []corev1.VolumeMount        `json:"extraVolumeMounts"`
	ExtraManifests     []json.RawMessage           `json:"extraManifests"`
	Statefulset        struct {
		PodManagementPolicy                  string `json:"podManagementPolicy"`
		PersistentVolumeClaimRetentionPolicy struct {
			Enabled     bool   `json:"enabled"`
			WhenDeleted string `json:"whenDeleted"`
			WhenScaled  string `json:"whenScaled"`
		} `json:"persistentVolumeClaimRetentionPolicy"`
		VolumeClaimTemplates []corev1.PersistentVolumeClaim `json:"volumeClaimTemplates"`
	} `json:"statefulset"`
	PodDisruptionBudget struct {
		Enabled        bool                `json:"enabled"`
		MinAvailable   *intstr.IntOrString `json:"minAvailable"`
		MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
	} `json:"podDisruptionBudget"`
	Autoscaling struct {
		Enabled                           bool                                           `json:"enabled"`
		MinReplicas                       int32                                          `json:"minReplicas"`
		MaxReplicas                       int32                                          `json:"maxReplicas"`
		Behavior                          *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior"`
		TargetCPUUtilizationPercentage    int32                                          `json:"targetCPUUtilizationPercentage"`
		TargetMemoryUtilizationPercentage int32                                          `json:"targetMemoryUtilizationPercentage"`
	} `json:"autoscaling"`
	NetworkPolicy struct {
		Enabled           bool                                    `json:"enabled"`
		Annotations       map[string]string                       `json:"annotations"`
		AllowIngressFrom  []networkingv1.NetworkPolicyPeer        `json:"allowIngressFrom"`
		ExtraIngressRules []networkingv1.NetworkPolicyIngressRule `json:"extraIngressRules"`
		EgressRules       []networkingv1.NetworkPolicyEgressRule  `json:"egressRules"`
	} `json:"networkPolicy"`
	Service struct {
		Type        corev1.ServiceType `json:"type"`
		Annotations map[string]string  `json:"annotations"`
	} `json:"service"`
}

// helmPort is one entry of the chart's `ports`.
type helmPort struct {
	Enabled       bool            `json:"enabled"`
	ContainerPort int32           `json:"containerPort"`
	ServicePort   int32           `json:"servicePort"`
	HostPort      int32           `json:"hostPort"`
	NodePort      int32           `json:"nodePort"`
	Protocol      corev1.Protocol `json:"protocol"`
	AppProtocol   string          `json:"appProtocol"`
}

// The chart's fixed choices: where it mounts the configuration and the variables it sets.
const helmConfigPath = "/conf/relay.yaml"

var helmProvidedEnv = map[string]string{"MY_POD_IP": "127.0.0.1"}

func loadHelmValues(t *testing.T) *helmValues {
	t.Helper()
	data, err := os.ReadFile(helmValuesFile)
	if err != nil {
		t.Fatal(err)
	}
	var v helmValues
	if err := decodeStrict(data, &v); err != nil {
		t.Fatalf("%s: %v", helmValuesFile, err)
	}
	return &v
}

// helmCollectorConfig is the configuration the chart renders: alternateConfig as it is.
func helmCollectorConfig(t *testing.T, v *helmValues) *collectorConfig {
	t.Helper()
	if len(v.AlternateConfig) == 0 {
		t.Fatal("values.yaml must set alternateConfig: `config` is merged into the chart's defaults, whose components otelcol-audit does not have")
	}
	if len(v.Config) != 0 {
		t.Error("values.yaml sets `config`, which the chart ignores when alternateConfig is set")
	}
	text, err := json.Marshal(v.AlternateConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseCollectorConfig(string(text))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cfg.text, "{{") {
		t.Error("alternateConfig contains {{, which the chart renders as a template")
	}
	return cfg
}

func TestHelmValues(t *testing.T) {
	v := loadHelmValues(t)
	cfg := helmCollectorConfig(t, v)
	img := loadImage(t)

	if v.Mode != "statefulset" && v.Mode != "deployment" {
		t.Errorf("mode %q, want statefulset (or deployment)", v.Mode)
	}
	if v.Image.Repository == "" || v.Image.Tag == "" && v.Image.Digest == "" {
		t.Error("image.repository and image.tag (or digest) must name the otelcol-audit image")
	}
	if "/"+v.Command.Name != img.binary {
		t.Errorf("command.name %q: the chart runs /%s, the image's binary is %s", v.Command.Name, v.Command.Name, img.binary)
	}
	if !v.ServiceAccount.Create {
		t.Error("serviceAccount.create must be true: it carries the IAM role")
	}
	checkIRSA(t, "serviceAccount", v.ServiceAccount.Annotations)

	// The container, as the chart builds it from the values.
	env := append([]corev1.EnvVar{{Name: "MY_POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}}, v.ExtraEnvs...)
	c := &corev1.Container{
		Name:            "opentelemetry-collector",
		Args:            append([]string{"--config=" + helmConfigPath}, v.Command.ExtraArgs...),
		Env:             env,
		Resources:       v.Resources,
		SecurityContext: v.SecurityContext,
		Lifecycle:       v.LifecycleHooks,
		LivenessProbe:   v.LivenessProbe,
		ReadinessProbe:  v.ReadinessProbe,
		StartupProbe:    v.StartupProbe,
		VolumeMounts:    v.ExtraVolumeMounts,
	}
	for name, p := range v.Ports {
		if p.Enabled {
			c.Ports = append(c.Ports, corev1.ContainerPort{Name: name, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
		}
	}
	podSC := v.PodSecurityContext
	if podSC == nil || podSC.RunAsNonRoot == nil || !*podSC.RunAsNonRoot || podSC.SeccompProfile == nil {
		t.Error("podSecurityContext must set runAsNonRoot and a seccompProfile")
	}
	checkContainer(t, "values.yaml", podSC, c)
	for _, name := range requiredEnv(cfg.text) {
		if _, ok := envValue(c.Env, name); !ok {
			t.Errorf("alternateConfig reads ${env:%s}, which neither the chart nor extraEnvs sets", name)
		}
	}

	// Probes reach the health_check extension.
	port, urlPath := cfg.healthCheck(t)
	for name, p := range map[string]*corev1.Probe{"livenessProbe": v.LivenessProbe, "readinessProbe": v.ReadinessProbe, "startupProbe": v.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: want an httpGet on the health_check extension", name)
			continue
		}
		if p.HTTPGet.Port.String() != port || p.HTTPGet.Path != urlPath {
			t.Errorf("%s probes %s%s, health_check answers on %s%s", name, p.HTTPGet.Port.String(), p.HTTPGet.Path, port, urlPath)
		}
	}

	// Open ports are exactly the servers the configuration runs on the pod's network.
	listeners := cfg.listeners(t)
	for name, p := range v.Ports {
		if _, ok := listeners[itoa(p.ContainerPort)]; p.Enabled && !ok {
			t.Errorf("ports.%s is enabled, but nothing in alternateConfig listens on %d (the chart's default ports must be disabled)", name, p.ContainerPort)
		}
		if p.Enabled && p.HostPort != 0 {
			t.Errorf("ports.%s sets a hostPort", name)
		}
	}
	for port, host := range listeners {
		if port == "13133" || loopback(host) {
			continue
		}
		// The metrics port is left out of ports on purpose (see below) and reached through an
		// ingress rule of its own.
		if containerPort(c, intstr.Parse(port)) == "" && !extraIngressAdmits(v, port) {
			t.Errorf("alternateConfig listens on %s, which no enabled entry of ports opens", port)
		}
	}

	if ids := cfg.keysWithoutUnique(); len(ids) > 0 {
		t.Errorf("alternateConfig: exporters %v have no {unique} in their key: the replicas write the same tenants", ids)
	}
	if ids := cfg.unboundReceivers(t); len(ids) > 0 {
		t.Errorf("alternateConfig: receivers %v take events from beyond the pod without binding callers to their tenants: any sender could write any org", ids)
	}
	if len(cfg.keysFiles()) == 0 {
		t.Error("alternateConfig: no tenants::keys_file: a shared gateway binds each sender to its tenants")
	}

	// The state directories are on the volumeClaimTemplates.
	if v.Mode == "statefulset" {
		for _, dir := range cfg.stateDirs() {
			m := mountOf(c, dir)
			if m == nil || m.ReadOnly || !slices.ContainsFunc(v.Statefulset.VolumeClaimTemplates, func(p corev1.PersistentVolumeClaim) bool { return p.Name == m.Name }) {
				t.Errorf("%s is not on a writable mount of a statefulset.volumeClaimTemplates volume", dir)
			}
		}
		r := v.Statefulset.PersistentVolumeClaimRetentionPolicy
		if r.Enabled && (r.WhenScaled == "Delete" || r.WhenDeleted == "Delete") {
			t.Error("statefulset.persistentVolumeClaimRetentionPolicy deletes volumes that may hold undelivered events")
		}
	}

	// The routes file comes from a ConfigMap of extraManifests, mounted as a directory.
	manifests := map[string]*corev1.ConfigMap{}
	secrets := map[string]*corev1.Secret{}
	for i, raw := range v.ExtraManifests {
		kind, name, value, err := decodeObject(raw)
		if err != nil {
			t.Fatalf("extraManifests[%d]: %v", i, err)
		}
		if cm, ok := value.(*corev1.ConfigMap); ok && kind == "ConfigMap" {
			manifests[name] = cm
		}
		if sec, ok := value.(*corev1.Secret); ok && kind == "Secret" {
			secrets[name] = sec
		}
	}
	// The API keys come from a Secret of extraManifests, mounted as a directory.
	for _, f := range cfg.keysFiles() {
		vol, key, ok := helmMountedFile(t, v, c, "keys file", f)
		if !ok {
			continue
		}
		var sec *corev1.Secret
		if vol.Secret != nil {
			sec = secrets[vol.Secret.SecretName]
		}
		if sec == nil {
			t.Errorf("keys file %s: volume %q is not a Secret of extraManifests", f, vol.Name)
			continue
		}
		if sec.StringData[key] == "" && len(sec.Data[key]) == 0 {
			t.Errorf("keys file %s: Secret %s has no key %q", f, sec.Name, key)
		}
	}
	routes := map[string]string{}
	for _, f := range cfg.routesFiles() {
		vol, key, ok := helmMountedFile(t, v, c, "routes file", f)
		if !ok {
			continue
		}
		var cm *corev1.ConfigMap
		if vol.ConfigMap != nil {
			cm = manifests[vol.ConfigMap.Name]
		}
		if cm == nil {
			t.Errorf("routes file %s: volume %q is not a ConfigMap of extraManifests", f, vol.Name)
			continue
		}
		if _, ok := cm.Data[key]; !ok {
			t.Errorf("routes file %s: ConfigMap %s has no key %q", f, cm.Name, key)
			continue
		}
		routes[f] = cm.Data[key]
	}

	// The chart does not set the pod's terminationGracePeriodSeconds: Kubernetes' 30s must
	// cover the preStop sleep, the exporter's uploads at shutdown and the rest.
	if need := shutdownNeeds(t, cfg, c); need > 30*time.Second {
		t.Errorf("preStop + the exporter's timeout + %s is %s, more than the default 30s grace period", shutdownMargin, need)
	}

	if v.Autoscaling.Enabled {
		if v.Autoscaling.MinReplicas < 2 {
			t.Error("autoscaling.minReplicas below 2")
		}
		b := v.Autoscaling.Behavior
		if v.Mode == "statefulset" && !scaleDownDisabled(b) {
			t.Error("autoscaling.behavior.scaleDown.selectPolicy must be Disabled: a replica scaled away leaves its spool's events on its volume")
		}
	}
	if !v.PodDisruptionBudget.Enabled {
		t.Error("podDisruptionBudget.enabled must be true")
	}
	if !v.NetworkPolicy.Enabled || !slices.ContainsFunc(v.NetworkPolicy.AllowIngressFrom, func(p networkingv1.NetworkPolicyPeer) bool {
		return p.NamespaceSelector != nil && p.NamespaceSelector.MatchLabels[senderLabel] == "true"
	}) {
		t.Errorf("networkPolicy must be enabled and admit namespaces labelled %s=true", senderLabel)
	}
	for _, p := range v.NetworkPolicy.AllowIngressFrom {
		if p.NamespaceSelector == nil || p.IPBlock != nil {
			t.Error("networkPolicy.allowIngressFrom admits something other than labelled namespaces")
		}
	}
	// The chart admits allowIngressFrom to every enabled port: the metrics must not be one of
	// them, and their scrapers need a rule of their own.
	if m, ok := v.Ports["metrics"]; ok && m.Enabled {
		t.Error("ports.metrics must be disabled: the chart's NetworkPolicy would admit the senders to it and not the scrapers")
	}
	if !extraIngressAdmits(v, "8888") {
		t.Error("networkPolicy.extraIngressRules must admit the metrics scrapers to port 8888")
	}

	t.Run("validate", func(t *testing.T) {
		bin := collectorBinary(t)
		env := map[string]string{}
		for _, name := range requiredEnv(cfg.text) {
			env[name], _ = envValue(c.Env, name)
		}
		for k, val := range helmProvidedEnv {
			env[k] = val
		}
		if err := validate(t, bin, "helm-values", cfg.text, env); err != nil {
			t.Error(err)
		}
		for f, r := range routes {
			if err := validate(t, bin, "helm-values-routes", withRoutes(t, cfg, r), env); err != nil {
				t.Errorf("with the routes of %s: %v", f, err)
			}
		}
	})
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func TestHelmValuesRefuseUnknownKeys(t *testing.T) {
	var v helmValues
	for _, doc := range []string{
		"mode: statefulset\nimage:\n  repo: x\n",
		"statefulset:\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accesModes: [ReadWriteOnce]}\n",
		"extraVolumeMount: []\n",
	} {
		if err := decodeStrict([]byte(doc), &v); err == nil {
			t.Errorf("%q was accepted", doc)
		}
	}
}

// The Helm values describe the gateway of deploy/kubernetes/gateway: the same components,
// pipelines and exporter settings. Only what the chart dictates differs: the listen addresses
// (the pod IP the chart provides) and the exporter's timeout (the chart's 30s grace period).
func TestHelmGatewayMatchesManifests(t *testing.T) {
	helm := helmCollectorConfig(t, loadHelmValues(t))
	var gateway *collectorConfig
	for _, b := range loadBundles(t) {
		if filepath.Base(b.dir) == "gateway" {
			for _, c := range collectors(t, b) {
				gateway = c.config
			}
		}
	}
	if gateway == nil {
		t.Fatal("no collector in deploy/kubernetes/gateway")
	}
	for _, section := range []string{"extensions", "receivers", "processors", "exporters"} {
		if got, want := keys(helm.tree[section]), keys(gateway.tree[section]); !slices.Equal(got, want) {
			t.Errorf("%s: helm has %v, the manifests %v", section, got, want)
		}
	}
	for _, p := range []string{"extensions", "pipelines"} {
		if got, want := lookup(helm.tree, "service", p), lookup(gateway.tree, "service", p); !reflect.DeepEqual(got, want) {
			t.Errorf("service::%s: helm has %v, the manifests %v", p, got, want)
		}
	}
	for id, h := range helm.components("exporters", "audits3") {
		g, _ := lookup(gateway.tree, "exporters", id).(map[string]any)
		hm, _ := h.(map[string]any)
		for _, k := range keys(hm) {
			if k != "timeout" && !reflect.DeepEqual(hm[k], g[k]) {
				t.Errorf("exporters::%s::%s: helm has %v, the manifests %v", id, k, hm[k], g[k])
			}
		}
		if !slices.Equal(keys(hm), keys(g)) {
			t.Errorf("exporters::%s: helm sets %v, the manifests %v", id, keys(hm), keys(g))
		}
	}
	if !reflect.DeepEqual(helm.stateDirs(), gateway.stateDirs()) || !reflect.DeepEqual(helm.routesFiles(), gateway.routesFiles()) ||
		!reflect.DeepEqual(helm.keysFiles(), gateway.keysFiles()) {
		t.Errorf("state directories, routes files or keys files differ: helm %v %v %v, the manifests %v %v %v",
			helm.stateDirs(), helm.routesFiles(), helm.keysFiles(), gateway.stateDirs(), gateway.routesFiles(), gateway.keysFiles())
	}
}

// helmMountedFile finds the directory mount of extraVolumeMounts that shows file (reporting
// what as not on one otherwise), the extraVolumes entry behind it (named as the mount, empty
// when there is none) and file's key in that volume.
func helmMountedFile(t *testing.T, v *helmValues, c *corev1.Container, what, file string) (corev1.Volume, string, bool) {
	t.Helper()
	m := mountOf(c, file)
	if m == nil || m.SubPath != "" {
		t.Errorf("%s %s is not on a directory mount", what, file)
		return corev1.Volume{}, "", false
	}
	vol := corev1.Volume{Name: m.Name}
	for _, ev := range v.ExtraVolumes {
		if ev.Name == m.Name {
			vol = ev
		}
	}
	return vol, strings.TrimPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/"), true
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// extraIngressAdmits tells whether one of networkPolicy.extraIngressRules opens port.
func extraIngressAdmits(v *helmValues, port string) bool {
	return slices.ContainsFunc(v.NetworkPolicy.ExtraIngressRules, func(r networkingv1.NetworkPolicyIngressRule) bool {
		return slices.ContainsFunc(r.Ports, func(p networkingv1.NetworkPolicyPort) bool { return p.Port != nil && p.Port.String() == port })
	})
}

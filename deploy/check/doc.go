// Package check holds the tests of the deployment files: the Kubernetes manifests under
// deploy/kubernetes, the Helm values under deploy/helm and the Dockerfile at the root.
//
// It is a module of its own, so that the Kubernetes API types it decodes the manifests into
// stay out of the collector's module. The collector configurations the files carry are checked
// by the collector itself: `otelcol-audit validate`, the binary `make build` made, found
// through AUDITSHIP_COLLECTOR (the Makefile sets it).
package check

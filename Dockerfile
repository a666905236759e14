# syntax=docker/dockerfile:1
#
# otelcol-audit container image. `make docker` builds it (IMAGE=... to name it).
#
# The build stage runs `make build`, the very command a developer runs, so the image holds what
# it makes (the collector, built by the pinned ocb from builder-config.yaml) and nothing else:
# there is no second build recipe to drift. deploy/check/dockerfile_test.go checks this, and
# that the Go image below is the version of go.mod's `go` directive.

FROM golang:1.26.0-bookworm AS build

# A static binary: the runtime image has no C library.
ENV CGO_ENABLED=0
WORKDIR /src
COPY . .
# The caches only speed up rebuilds; the result is the same without BuildKit cache mounts.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    make build
# Fails the build if a binary is not static after all (a dependency that forces cgo).
RUN for b in bin/*; do \
      if ldd "$b" >/dev/null 2>&1; then echo "$b is dynamically linked" >&2; exit 1; fi; \
    done
# The state directory, owned by the runtime user: a Docker volume created from the image
# inherits this ownership, so the non-root collector can write its queue and spool there.
RUN mkdir -p /out/var/lib/otelcol-audit /out/etc/otelcol-audit

# distroless static: CA certificates (for S3 and STS over TLS), tzdata, /etc/passwd with the
# nonroot user (65532), no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /src/bin/otelcol-audit /otelcol-audit
# `make build` also makes the destination checker (docs/operations.md): run it with
# --entrypoint /otelcol-audit-verify, as a pre-deploy step or a periodic job.
COPY --from=build /src/bin/otelcol-audit-verify /otelcol-audit-verify
COPY --from=build --chown=65532:65532 /out/var/lib/otelcol-audit /var/lib/otelcol-audit
COPY --from=build /out/etc/otelcol-audit /etc/otelcol-audit

USER 65532:65532

# Nothing is written outside this directory (and the config is only read), so the container runs
# with a read-only root filesystem. Put the file_storage queue and the audits3 spool under it,
# on a persistent volume: it is the delivery queue.
VOLUME ["/var/lib/otelcol-audit"]

# 8088 auditlog receiver, 4318 OTLP/HTTP receiver, 13133 health_check extension (probe it over
# HTTP from the orchestrator: the image has no shell or curl for a HEALTHCHECK command),
# 8888 the collector's own Prometheus metrics.
EXPOSE 8088 4318 13133 8888

ENTRYPOINT ["/otelcol-audit"]
# Mount the configuration here, or pass other arguments (`validate --config=...` works too).
CMD ["--config=/etc/otelcol-audit/config.yaml"]

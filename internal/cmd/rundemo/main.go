// Command rundemo is what `make run` runs: it starts a local S3 server (versitygw) on loopback,
// creates a bucket, starts otelcol-audit with testdata/demo.yaml, posts the sample audit events,
// waits until every accepted event is in S3, prints where the files landed, and stops
// everything, on success, on error and on Ctrl-C alike.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/auditship/auditship/internal/harness"
)

func main() {
	var (
		collectorBin = flag.String("collector", "bin/otelcol-audit", "otelcol-audit binary")
		versitygwBin = flag.String("versitygw", ".tools/bin/versitygw", "versitygw binary")
		configPath   = flag.String("config", "testdata/demo.yaml", "collector configuration")
		samplesDir   = flag.String("samples", "testdata/samples", "directory of sample events (.json, .ndjson)")
		workDir      = flag.String("workdir", ".run", "directory for S3 data, queue and logs")
		bucket       = flag.String("bucket", "customer-audit-logs", "bucket to create and deliver into")
		wait         = flag.Duration("wait", 2*time.Minute, "how long to wait for the files")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *collectorBin, *versitygwBin, *configPath, *samplesDir, *workDir, *bucket, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "run failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, collectorBin, versitygwBin, configPath, samplesDir, workDir, bucket string, wait time.Duration) (err error) {
	// Each run starts from an empty bucket so that what is printed is this run's output.
	if err := os.RemoveAll(workDir); err != nil {
		return fmt.Errorf("clean %s: %w", workDir, err)
	}
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return err
	}
	s3, err := harness.StartS3(ctx, versitygwBin, filepath.Join(workDir, "s3"))
	if err != nil {
		return err
	}
	defer stopAndReport(s3.Process, &err)
	fmt.Printf("S3 server (versitygw) listening on %s, data under %s\n", s3.Endpoint, filepath.Join(workDir, "s3", "data"))
	if err := s3.CreateBucket(ctx, bucket); err != nil {
		return err
	}

	col, err := harness.StartCollector(ctx, collectorBin, configPath, filepath.Join(workDir, "otelcol-audit.log"), harness.CollectorEnv{
		S3: s3, Bucket: bucket, StateDir: filepath.Join(workDir, "queue"),
	})
	if err != nil {
		return err
	}
	defer stopAndReport(col.Process, &err)
	fmt.Printf("otelcol-audit (pid %d) receiving audit events on %s, log in %s\n", col.Pid(), col.AuditURL, col.LogPath)

	samples, err := filepath.Glob(filepath.Join(samplesDir, "*.*json"))
	if err != nil || len(samples) == 0 {
		return fmt.Errorf("no samples in %s", samplesDir)
	}
	accepted := 0
	for _, path := range samples {
		res, err := col.PostFile(ctx, path)
		if err != nil {
			return err
		}
		fmt.Printf("POST %s -> %d %s\n", path, res.Status, res.Body)
		if res.Status/100 != 2 {
			return fmt.Errorf("the receiver refused %s", path)
		}
		accepted += res.Accepted
	}

	fmt.Printf("waiting for %d events to land in s3://%s (flush interval of testdata/demo.yaml)...\n", accepted, bucket)
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	objects, err := s3.WaitForLines(waitCtx, bucket, accepted, time.Second)
	if err != nil {
		return err
	}
	printObjects(bucket, objects)
	return nil
}

func printObjects(bucket string, objects []harness.Object) {
	sort.Slice(objects, func(i, j int) bool { return objects[i].Key < objects[j].Key })
	fmt.Printf("\n%d objects in s3://%s:\n", len(objects), bucket)
	for _, o := range objects {
		lines, _ := o.Lines()
		fmt.Printf("\ns3://%s/%s  (%d bytes, %d events)\n", bucket, o.Key, o.Size, len(lines))
		for i, l := range lines {
			if i == 2 {
				fmt.Printf("  ... %d more\n", len(lines)-2)
				break
			}
			fmt.Println("  " + l)
		}
	}
	fmt.Println()
}

// stopAndReport stops p gracefully; a failure to stop cleanly becomes the run's error unless
// there already is one.
func stopAndReport(p *harness.Process, err *error) {
	stopErr := p.Stop(30 * time.Second)
	if stopErr != nil && *err == nil {
		*err = fmt.Errorf("stop %s: %w", p.Name, stopErr)
	}
	fmt.Printf("stopped %s\n", p.Name)
}

package spool

import (
	"encoding/hex"
	"iter"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The benchmarks stage what the exporter sees under load: pushes of 1000 audit events of about
// 400 bytes spread over 20 tenants, with distinct ids, synced, and batches sealed where
// max_file_bytes (8 MiB) closes them.
const (
	benchParts        = 20
	benchPerCall      = 1000
	benchPayloadBytes = 400
	benchBatchRecords = 20_000 // 8 MiB of 400-byte records
)

var benchPayload = []byte(`{"message":"` + strings.Repeat("x", benchPayloadBytes-14) + `"}`)

// benchIDs hands out ids shaped like the event ids (UUIDs), none of them twice.
type benchIDs struct{ next atomic.Uint64 }

// take returns n distinct ids; they share one allocation, as ids decoded from one request do.
func (g *benchIDs) take(n int) []string {
	first := g.next.Add(uint64(n)) - uint64(n)
	text := make([]byte, 0, n*36)
	for i := range n {
		var raw [16]byte
		x := splitmix(first + uint64(i))
		y := splitmix(x)
		for j := range 8 {
			raw[j], raw[8+j] = byte(x>>(8*j)), byte(y>>(8*j))
		}
		var h [32]byte
		hex.Encode(h[:], raw[:])
		text = append(append(append(append(append(append(append(append(append(text,
			h[:8]...), '-'), h[8:12]...), '-'), h[12:16]...), '-'), h[16:20]...), '-'), h[20:]...)
	}
	all := string(text)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = all[i*36 : (i+1)*36]
	}
	return ids
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// benchPush is one push, reused from call to call with fresh ids, so that the benchmark
// allocates only what the spool does (and the ids: one string a call).
type benchPush struct{ batches []Batch }

func newBenchPush(perPart int) *benchPush {
	p := &benchPush{batches: make([]Batch, benchParts)}
	for i := range p.batches {
		p.batches[i] = Batch{Partition: "tenant-" + strconv.Itoa(i), Records: make([]Record, perPart)}
		for j := range p.batches[i].Records {
			p.batches[i].Records[j] = Record{EventTime: t0.Add(time.Duration(j) * time.Millisecond), Payload: benchPayload}
		}
	}
	return p
}

func (p *benchPush) refill(g *benchIDs) []Batch {
	ids := g.take(len(p.batches) * len(p.batches[0].Records))
	for i := range p.batches {
		for j := range p.batches[i].Records {
			p.batches[i].Records[j].ID, ids = ids[0], ids[1:]
		}
	}
	return p.batches
}

func appendAllNew(tb testing.TB, s *Spool, batches []Batch) {
	added, err := s.AppendAll(batches, t0)
	if err != nil {
		tb.Error(err)
		return
	}
	for i, n := range added {
		if n != len(batches[i].Records) {
			tb.Errorf("%d of %d records of %s added", n, len(batches[i].Records), batches[i].Partition)
		}
	}
}

// copyPayloads is a Builder that copies the payloads into a reused buffer, as the exporter's
// does before it compresses.
func copyPayloads(body *[]byte) Builder {
	return func(_ BatchInfo, payloads iter.Seq[[]byte]) ([]byte, map[string]string, error) {
		*body = (*body)[:0]
		for p := range payloads {
			*body = append(append(*body, p...), '\n')
		}
		return *body, nil, nil
	}
}

// sealAndDeliver seals every partition's open batch and delivers it at once.
func sealAndDeliver(tb testing.TB, s *Spool, body *[]byte) {
	for _, part := range s.Partitions() {
		sb, err := s.Seal(part, t0, copyPayloads(body))
		require.NoError(tb, err)
		if sb != nil {
			require.NoError(tb, s.Delivered(sb))
		}
	}
}

// BenchmarkAppendAll measures one push of 1000 records over 20 partitions, synced, with the
// ids of a full sealed batch and of an open batch between half and full remembered in every
// partition, as in a collector under load. parallel runs 4 pushes at once, as the exporter's
// queue consumers do. Besides the time, mostly spent waiting for the disk, it reports the
// syncs a push costs (of the WAL, and of batch files at checkpoints), the writes to batch
// files, and the CPU time the process spends a push, in user space and in the kernel.
func BenchmarkAppendAll(b *testing.B) {
	for _, workers := range []int{1, 4} {
		name := "serial"
		if workers > 1 {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) { benchmarkAppendAll(b, workers) })
	}
}

func benchmarkAppendAll(b *testing.B, workers int) {
	s, err := Open(Options{Dir: b.TempDir()})
	require.NoError(b, err)
	defer s.Close()
	ids := &benchIDs{}
	var body []byte
	appendAllNew(b, s, newBenchPush(benchBatchRecords).refill(ids))
	sealAndDeliver(b, s, &body)
	appendAllNew(b, s, newBenchPush(benchBatchRecords/2).refill(ids))
	pushes := make([]*benchPush, workers)
	for i := range pushes {
		pushes[i] = newBenchPush(benchPerCall / benchParts)
	}
	var cpu cpuMeter
	var syncs atomic.Int64
	countSync := func(f *os.File) error {
		syncs.Add(1)
		return f.Sync()
	}
	s.wal.sync, s.syncBatch = countSync, countSync
	var batchWrites atomic.Int64
	s.writeBatch = func(f *os.File, data []byte) (int, error) {
		batchWrites.Add(1)
		return f.Write(data)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		// A round runs the calls that fit before the batches are full, then seals them
		// with the clock stopped.
		held := 0
		if open := s.OpenBatches(); len(open) > 0 {
			held = open[0].Records
		}
		round := min(b.N-done, (benchBatchRecords-held)/(benchPerCall/benchParts))
		var next atomic.Int64
		var wg sync.WaitGroup
		cpu.start()
		for _, push := range pushes {
			wg.Go(func() {
				for next.Add(1) <= int64(round) {
					appendAllNew(b, s, push.refill(ids))
				}
			})
		}
		wg.Wait()
		cpu.stop()
		done += round
		b.StopTimer()
		sealAndDeliver(b, s, &body)
		b.StartTimer()
	}
	b.ReportMetric(float64(syncs.Load())/float64(b.N), "syncs/op")
	b.ReportMetric(float64(batchWrites.Load())/float64(b.N), "batch-writes/op")
	cpu.report(b)
}

// BenchmarkSeal measures sealing a full batch: 20,000 records of 400 bytes.
func BenchmarkSeal(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir()})
	require.NoError(b, err)
	defer s.Close()
	ids := &benchIDs{}
	push := &benchPush{batches: newBenchPush(benchBatchRecords).batches[:1]}
	var body []byte
	b.ReportAllocs()
	b.SetBytes(benchBatchRecords * benchPayloadBytes)
	b.ResetTimer()
	var cpu cpuMeter
	for range b.N {
		b.StopTimer()
		appendAllNew(b, s, push.refill(ids))
		b.StartTimer()
		cpu.start()
		sb, err := s.Seal("tenant-0", t0, copyPayloads(&body))
		cpu.stop()
		require.NoError(b, err)
		b.StopTimer()
		require.NoError(b, s.Delivered(sb))
		b.StartTimer()
	}
	cpu.report(b)
}

// cpuMeter adds up the CPU time the process spends while it runs.
type cpuMeter struct{ user, kernel, user0, kernel0 time.Duration }

func (m *cpuMeter) start() { m.user0, m.kernel0 = processCPU() }

func (m *cpuMeter) stop() {
	user, kernel := processCPU()
	m.user += user - m.user0
	m.kernel += kernel - m.kernel0
}

func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.user.Nanoseconds())/float64(b.N), "user-ns/op")
	b.ReportMetric(float64(m.kernel.Nanoseconds())/float64(b.N), "kernel-ns/op")
}

// BenchmarkRememberedIDs reports the heap an id takes in an open batch, filled by pushes as in
// BenchmarkAppendAll, and after its batch was sealed (what a partition remembers to recognise
// redeliveries).
func BenchmarkRememberedIDs(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), NoSync: true})
	require.NoError(b, err)
	defer s.Close()
	ids := &benchIDs{}
	push := newBenchPush(benchPerCall / benchParts)
	var body []byte
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	var open, sealed int64
	for i := range b.N + 1 {
		before := heap()
		for range benchBatchRecords / (benchPerCall / benchParts) {
			appendAllNew(b, s, push.refill(ids))
		}
		afterAppend := heap()
		sealAndDeliver(b, s, &body)
		afterSeal := heap()
		if i > 0 { // the first round grows the buffers that later rounds reuse
			open += afterAppend - before
			sealed += afterSeal - before
		}
		// Sealing another batch lets this one go: the next round starts from the same heap.
		appendAllNew(b, s, newBenchPush(1).refill(ids))
		sealAndDeliver(b, s, &body)
	}
	n := float64(b.N) * benchParts * benchBatchRecords
	b.ReportMetric(float64(open)/n, "open-B/id")
	b.ReportMetric(float64(sealed)/n, "sealed-B/id")
	b.ReportMetric(0, "ns/op")
}

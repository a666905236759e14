package faultproxy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Options configure a Proxy.
type Options struct {
	// Seed seeds the probabilistic faults: with the same seed, the same requests in the same
	// order meet the same faults.
	Seed uint64
	// Faults are injected from the first request on; SetFaults replaces them.
	Faults Faults
	// DownMode is what Down does; DownReset by default.
	DownMode DownMode
}

// Faults say which requests meet which fault. A request that meets several is first delayed,
// then reset if Reset fires, else answered 503 SlowDown if SlowDown fires, else forwarded,
// its answer lost if LoseAnswer fires.
type Faults struct {
	// Methods limits the faults to requests with these methods ("PUT"); empty means every
	// request. Requests of other methods are forwarded untouched and do not count in the
	// schedules.
	Methods []string

	// SlowDown answers 503 with S3's SlowDown error, without forwarding.
	SlowDown Fault
	// RetryAfter, when positive, is sent with SlowDown answers as Retry-After, in whole
	// seconds rounded up.
	RetryAfter time.Duration

	// Reset closes the client's connection abruptly (a TCP RST), without forwarding or
	// answering.
	Reset Fault

	// Delay holds the request for DelayBy before going on with it.
	Delay   Fault
	DelayBy time.Duration

	// LoseAnswer forwards the request and waits for the target's answer, then resets the
	// client's connection instead of passing it on: the request took effect, and the client
	// cannot know (a PUT stored, its answer lost on the way back).
	LoseAnswer Fault
}

// Fault says which matching requests meet one fault. Matching requests are numbered from 1,
// counting from Start or the last SetFaults; a request meets the fault when any rule fires.
type Fault struct {
	// Probability is the chance, drawn from the seeded source, that a request meets the fault.
	Probability float64
	// First: requests 1 to First meet the fault.
	First int
	// Every: requests Every, 2*Every, 3*Every... meet the fault.
	Every int
	// At lists request numbers that meet the fault.
	At []int
}

// DownMode is how a Proxy behaves between Down and Up.
type DownMode int

const (
	// DownReset keeps accepting connections and resets every request on arrival, like a
	// host whose server process died while the port stays reachable through a balancer.
	DownReset DownMode = iota
	// DownRefuse closes the listening socket, so that new connections are refused, and resets
	// the open ones, as a stopped server would. Up listens on the same address again.
	DownRefuse
	// DownHang holds every request unanswered, like a black-holed network: the client waits
	// until its own timeout, or until Up or Close reset the connection.
	DownHang
)

func (m DownMode) String() string {
	switch m {
	case DownReset:
		return "reset"
	case DownRefuse:
		return "refuse"
	case DownHang:
		return "hang"
	}
	return fmt.Sprintf("DownMode(%d)", int(m))
}

func (f Fault) validate(name string) error {
	var errs []error
	if f.Probability < 0 || f.Probability > 1 {
		errs = append(errs, fmt.Errorf("%s.Probability %v is not in [0, 1]", name, f.Probability))
	}
	if f.First < 0 {
		errs = append(errs, fmt.Errorf("%s.First %d is negative", name, f.First))
	}
	if f.Every < 0 {
		errs = append(errs, fmt.Errorf("%s.Every %d is negative", name, f.Every))
	}
	for _, n := range f.At {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s.At holds %d; requests are numbered from 1", name, n))
		}
	}
	return errors.Join(errs...)
}

func (f Fault) set() bool {
	return f.Probability > 0 || f.First > 0 || f.Every > 0 || len(f.At) > 0
}

// fires tells whether request n meets the fault. It draws from rng whenever Probability is
// set, whatever the schedule says, so that the draws do not depend on the schedule.
func (f *Fault) fires(n int, rng *rand.Rand) bool {
	hit := f.Probability > 0 && rng.Float64() < f.Probability
	return hit || n <= f.First || (f.Every > 0 && n%f.Every == 0) || slices.Contains(f.At, n)
}

func (f Faults) validate() error {
	errs := []error{f.SlowDown.validate("SlowDown"), f.Reset.validate("Reset"), f.Delay.validate("Delay"),
		f.LoseAnswer.validate("LoseAnswer")}
	if f.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("RetryAfter %v is negative", f.RetryAfter))
	}
	if f.Delay.set() && f.DelayBy <= 0 {
		errs = append(errs, errors.New("a Delay needs a positive DelayBy"))
	}
	return errors.Join(errs...)
}

// normalized returns a copy of f that shares nothing with the caller's slices.
func (f Faults) normalized() Faults {
	f.Methods = slices.Clone(f.Methods)
	for i, m := range f.Methods {
		f.Methods[i] = strings.ToUpper(m)
	}
	f.SlowDown.At = slices.Clone(f.SlowDown.At)
	f.Reset.At = slices.Clone(f.Reset.At)
	f.Delay.At = slices.Clone(f.Delay.At)
	f.LoseAnswer.At = slices.Clone(f.LoseAnswer.At)
	return f
}

func (f *Faults) matches(method string) bool {
	return len(f.Methods) == 0 || slices.Contains(f.Methods, method)
}

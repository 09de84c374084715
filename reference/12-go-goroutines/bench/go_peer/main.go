// go_peer - the Go side of lab 12's benchmark pairs (bench/pairs): the
// same three programs as bench/spawnjoin.c, pingpong.c and gosched.c, with
// the same work sizes, on Go's own scheduler.
//
//	go_peer spawnjoin|pingpong|gosched NPROCS [N]
//
// It sets runtime.GOMAXPROCS(NPROCS) itself, checks its own answer (exit 1
// if wrong), honours TL_BENCH_QUICK=1 (token work) and prints
// `tl-bench ops=N ns=N`. Standard library only: make bench builds it
// offline (grader/mk/lab.mk).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

const batch = 128 // spawnjoin.c's BATCH
const k = 2       // gosched.c's K

var quick = os.Getenv("TL_BENCH_QUICK") != ""

func size(full, token int64) int64 {
	if len(os.Args) > 3 {
		n, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil || n < 1 {
			fail("N must be a positive integer, got %q", os.Args[3])
		}
		return n
	}
	if quick {
		return token
	}
	return full
}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "go_peer: "+f+"\n", a...)
	os.Exit(1)
}

// spawnjoin: batches of `batch` goroutines, each writes i+1 to its slot,
// joined with a WaitGroup; ops = goroutines.
func spawnjoin() (int64, time.Duration) {
	total := size(1000000, 2*batch)
	var slots [batch]int64
	var wg sync.WaitGroup
	var sum, want int64
	t0 := time.Now()
	for done := int64(0); done < total; {
		b := total - done
		if b > batch {
			b = batch
		}
		wg.Add(int(b))
		for i := int64(0); i < b; i++ {
			go func(i int64) {
				slots[i] = i + 1
				wg.Done()
			}(i)
		}
		wg.Wait()
		for i := int64(0); i < b; i++ {
			sum += slots[i]
			slots[i] = 0
		}
		want += b * (b + 1) / 2
		done += b
	}
	d := time.Since(t0)
	if sum != want {
		fail("spawnjoin: children summed to %d, want %d", sum, want)
	}
	return total, d
}

// pingpong: round trips over two unbuffered channels; ops = round trips.
func pingpong() (int64, time.Duration) {
	trips := size(1000000, 1000)
	a, b := make(chan int64), make(chan int64)
	go func() {
		for v := range a {
			b <- v + 1
		}
	}()
	var wrong int64
	t0 := time.Now()
	for i := int64(0); i < trips; i++ {
		a <- i
		if <-b != i+1 {
			wrong++
		}
	}
	d := time.Since(t0)
	close(a)
	if wrong != 0 {
		fail("pingpong: %d wrong answers of %d", wrong, trips)
	}
	return trips, d
}

// gosched: k goroutines each call runtime.Gosched N times; ops = calls.
func gosched() (int64, time.Duration) {
	yields := size(1000000, 1000)
	var count [k]int64
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Add(k)
	for i := 0; i < k; i++ {
		go func(n *int64) {
			for j := int64(0); j < yields; j++ {
				runtime.Gosched()
				*n++
			}
			wg.Done()
		}(&count[i])
	}
	wg.Wait()
	d := time.Since(t0)
	var total int64
	for _, c := range count {
		total += c
	}
	if total != k*yields {
		fail("gosched: %d yields counted, want %d", total, k*yields)
	}
	return total, d
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: go_peer spawnjoin|pingpong|gosched NPROCS [N]")
	}
	procs, err := strconv.Atoi(os.Args[2])
	if err != nil || procs < 1 {
		fail("NPROCS must be a positive integer, got %q", os.Args[2])
	}
	runtime.GOMAXPROCS(procs)
	var ops int64
	var d time.Duration
	switch os.Args[1] {
	case "spawnjoin":
		ops, d = spawnjoin()
	case "pingpong":
		ops, d = pingpong()
	case "gosched":
		ops, d = gosched()
	default:
		fail("no benchmark named %q (spawnjoin, pingpong, gosched)", os.Args[1])
	}
	fmt.Printf("tl-bench ops=%d ns=%d\n", ops, d.Nanoseconds())
}

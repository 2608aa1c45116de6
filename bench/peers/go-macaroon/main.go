// Bench driver for go-macaroon (gopkg.in/macaroon.v2): decode + verify of one macaroon, the same
// work as the "generic Macaroon.decode + verify" row of bench/verify.ts. Built and run by that
// bench when Debian's golang-go and golang-gopkg-macaroon.v2-dev are installed.
// Usage: go-macaroon TOKEN_BASE64 ROOT_KEY ITERATIONS BATCHES CAVEAT...
// Prints the process CPU time per op (ns) of each batch, as bench/harness.ts measures crumb.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"gopkg.in/macaroon.v2"
)

func main() {
	token, key := []byte(os.Args[1]), []byte(os.Args[2])
	iterations, _ := strconv.Atoi(os.Args[3])
	batches, _ := strconv.Atoi(os.Args[4])
	allowed := map[string]bool{}
	for _, c := range os.Args[5:] {
		allowed[c] = true
	}
	check := func(caveat string) error {
		if allowed[caveat] {
			return nil
		}
		return errors.New("caveat not satisfied")
	}
	run := func() error {
		data, err := macaroon.Base64Decode(token)
		if err != nil {
			return err
		}
		var m macaroon.Macaroon
		if err := m.UnmarshalBinary(data); err != nil {
			return err
		}
		return m.Verify(key, check, nil)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "go-macaroon:", err)
		os.Exit(1)
	}
	cpu := func() int64 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	for b := 0; b < batches; b++ {
		start := cpu()
		for i := 0; i < iterations; i++ {
			_ = run()
		}
		fmt.Printf("%.1f\n", float64(cpu()-start)/float64(iterations))
	}
}

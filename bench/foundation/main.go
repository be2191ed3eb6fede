// Command foundation measures the foundation's targets (issue 2) against a
// real `open110` binary on the embedded default:
//
//   - cold start: exec of `serve --demo` on an empty data dir until /readyz
//     answers 200 (target: under 1 s), and warm start on the same data dir;
//   - sign-in: `POST /api/v1/auth/otp/verify` at a paced 200 requests/s,
//     open loop, latency p50/p99 (target: p99 under 5 ms on SQLite).
//
// Usage: go run ./bench/foundation [-runs 5] [-rate 200] [-n 2000]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"open110/platform/sms"
)

func main() {
	runs := flag.Int("runs", 5, "cold starts to time")
	rate := flag.Int("rate", 200, "sign-ins per second")
	n := flag.Int("n", 2000, "sign-ins to time")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "open110-bench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "open110")
	build := exec.Command("go", "build", "-o", bin, "./cmd/open110")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("build: %v", err)
	}

	var cold, warm []time.Duration
	for i := 0; i < *runs; i++ {
		dir := filepath.Join(tmp, fmt.Sprintf("cold%d", i))
		d, stop := startServer(bin, dir)
		cold = append(cold, d)
		stop()
		d, stop = startServer(bin, dir)
		warm = append(warm, d)
		stop()
	}
	slices.Sort(cold)
	slices.Sort(warm)
	fmt.Printf("cold start to ready (serve --demo, empty data dir), %d runs: median %v, max %v\n", *runs, cold[len(cold)/2].Round(time.Millisecond), cold[len(cold)-1].Round(time.Millisecond))
	fmt.Printf("warm start to ready (same data dir), %d runs: median %v, max %v\n", *runs, warm[len(warm)/2].Round(time.Millisecond), warm[len(warm)-1].Round(time.Millisecond))

	dir := filepath.Join(tmp, "signin")
	_, stop := startServer(bin, dir, "--trust-proxy", "127.0.0.1/32")
	defer stop()
	base := "http://" + addrOf(dir)
	phones := make([]string, *n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	for i := range phones {
		phones[i] = fmt.Sprintf("+86135%08d", i)
		// A fresh client IP per 20 phones stays under the per-IP code limit.
		ip := fmt.Sprintf("10.%d.%d.%d", i/20/65536%256, i/20/256%256, i/20%256)
		res := post(client, base+"/api/v1/auth/otp", ip, map[string]string{"phone": phones[i]})
		if res != http.StatusAccepted {
			log.Fatalf("otp %d: status %d", i, res)
		}
	}
	msgs, err := sms.ReadOutbox(filepath.Join(dir, "sms-outbox.jsonl"))
	if err != nil {
		log.Fatal(err)
	}
	codeRE := regexp.MustCompile(`\d{6}`)
	codes := map[string]string{}
	for _, m := range msgs {
		codes[m.To] = codeRE.FindString(m.Text)
	}

	lat := make([]time.Duration, *n)
	interval := time.Second / time.Duration(*rate)
	var wg sync.WaitGroup
	start := time.Now()
	failures := 0
	var mu sync.Mutex
	for i := 0; i < *n; i++ {
		// Open loop: request i is due at start + i*interval whatever the
		// earlier ones did, so a slow server cannot hide its queueing.
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			st := post(client, base+"/api/v1/auth/otp/verify", fmt.Sprintf("10.200.%d.%d", i/256%256, i%256),
				map[string]string{"phone": phones[i], "code": codes[phones[i]]})
			lat[i] = time.Since(t0)
			if st != http.StatusOK {
				mu.Lock()
				failures++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	fmt.Printf("sign-in (otp/verify) at %d req/s, %d requests in %v, %d failed: p50 %v p90 %v p99 %v max %v\n",
		*rate, *n, elapsed.Round(time.Millisecond), failures, pct(.5).Round(10*time.Microsecond),
		pct(.9).Round(10*time.Microsecond), pct(.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
}

func post(c *http.Client, url, ip string, body any) int {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	res, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

var addrs = map[string]string{}

func addrOf(dir string) string { return addrs[dir] }

// startServer runs `open110 serve --demo` on a free port and returns the
// time from exec to the first 200 from /readyz.
func startServer(bin, dir string, extra ...string) (time.Duration, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	addrs[dir] = addr
	args := append([]string{"serve", "--demo", "--data", dir, "--addr", addr, "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(t0) > 30*time.Second {
			log.Fatal("server did not become ready in 30 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	d := time.Since(t0)
	return d, func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
}

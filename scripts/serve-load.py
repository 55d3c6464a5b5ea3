#!/usr/bin/env python3
"""Load test of `stepdbg serve` (outside `cargo test`): N executions started by C concurrent
clients over loopback HTTP, every one awaited, none lost.

    scripts/serve-load.py [--binary target/release/stepdbg] [--executions 1000] [--clients 16]

It starts the server on a free 127.0.0.1 port with the retry-catch sample's mock file and
virtual time, creates the sample's state machine, starts the executions (ARN#HappyPath: two
throttled Lambda attempts retried, then a charge), waits for each to finish, and prints the
StartExecution latency (p50, p99), the throughput, and the count of executions that
SUCCEEDED as ListExecutions reports them. Uses only the Python standard library.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, action, body):
        data = json.dumps(body)
        self.conn.request(
            "POST",
            "/",
            data,
            {
                "X-Amz-Target": "AWSStepFunctions." + action,
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        r = self.conn.getresponse()
        text = r.read()
        if r.status != 200:
            raise RuntimeError(f"{action}: {r.status} {text[:300]!r}")
        return json.loads(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/stepdbg"))
    ap.add_argument("--executions", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=16)
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [args.binary, "serve", "--port", str(port), "--virtual-time",
         "--mock-config", os.path.join(ROOT, "samples/retry-catch.mocks.json")],
        stderr=subprocess.PIPE,
    )
    try:
        server.stderr.readline()  # "stepdbg serve: the Step Functions API on ..."
        c = Client(port)
        definition = open(os.path.join(ROOT, "samples/retry-catch.asl.json")).read()
        sm = c.call("CreateStateMachine", {
            "name": "retry-catch", "definition": definition,
            "roleArn": "arn:aws:iam::123456789012:role/sfn"})["stateMachineArn"]
        payload = open(os.path.join(ROOT, "samples/retry-catch.input.json")).read()
        # Client n starts every clients-th execution, so the total is exact.
        latencies, arns, lock = [], [], threading.Lock()

        def client(n):
            cl = Client(port)
            for i in range(n, args.executions, args.clients):
                t = time.perf_counter()
                arn = cl.call("StartExecution", {
                    "stateMachineArn": sm + "#HappyPath", "name": f"c{n}-{i}",
                    "input": payload})["executionArn"]
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    arns.append(arn)

        start = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        started = time.perf_counter() - start
        for arn in arns:
            while c.call("DescribeExecution", {"executionArn": arn})["status"] == "RUNNING":
                time.sleep(0.001)
        total = time.perf_counter() - start
        succeeded, token = 0, None
        while True:
            body = {"stateMachineArn": sm, "statusFilter": "SUCCEEDED", "maxResults": 1000}
            if token:
                body["nextToken"] = token
            page = c.call("ListExecutions", body)
            succeeded += len(page["executions"])
            token = page.get("nextToken")
            if not token:
                break
        latencies.sort()
        n = len(latencies)
        print(f"executions: {n} started by {args.clients} clients, {succeeded} SUCCEEDED "
              f"({n - succeeded} lost or failed)")
        print(f"StartExecution latency: p50 {statistics.median(latencies) * 1000:.2f} ms, "
              f"p99 {latencies[int(n * 0.99) - 1] * 1000:.2f} ms")
        print(f"throughput: {n / started:.0f} starts/s; all {n} finished in {total:.2f} s "
              f"({n / total:.0f} executions/s end to end)")
        return 0 if succeeded == n else 1
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())

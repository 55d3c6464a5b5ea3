#!/usr/bin/env python3
"""Time stepdbg against aws-local-stepfunctions (the fastest local peer) whole process, on
the same five workloads, and print the ratios and peak memory.

    scripts/compare-peer.py [--runs 15] [--peer-dir target/peer]

The peer is installed with npm into --peer-dir the first time (it asks for Node.js 22; it
runs on 20 with a warning). Without Node.js or npm, only stepdbg is timed. Outside
`cargo test`: timings are noisy, so nothing here asserts on them.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = "aws-local-stepfunctions@3.0.0"


def counter_loop(n, tag=""):
    check, inc, done = f"Check{tag}", f"Increment{tag}", f"Done{tag}"
    return {
        "StartAt": check,
        "States": {
            check: {
                "Type": "Choice",
                "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": n, "Next": done}],
                "Default": inc,
            },
            inc: {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": check},
            done: {"Type": "Succeed"},
        },
    }


def chain(n):
    states = {}
    for i in range(n):
        s = {
            "Type": "Pass",
            "InputPath": "$.order",
            "Parameters": {"sku.$": "$.sku", "qty.$": "$.qty", "step": i},
            "ResultPath": "$.order.last",
        }
        if i + 1 == n:
            s["End"] = True
        else:
            s["Next"] = f"S{i + 1}"
        states[f"S{i}"] = s
    return {"StartAt": "S0", "States": states}


def workloads():
    items = [{"id": i, "price": i % 97} for i in range(10_000)]
    parallel = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [counter_loop(100, f"B{b}") for b in range(8)],
                "End": True,
            }
        },
    }
    return [
        ("one Pass state", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, {"a": 1}),
        ("10,000-iteration Choice/Pass counter loop", counter_loop(10_000), {"i": 0}),
        (
            "Map over 10,000 items (Pass with Parameters)",
            {
                "StartAt": "Each",
                "States": {
                    "Each": {
                        "Type": "Map",
                        "ItemsPath": "$.items",
                        "ItemProcessor": {
                            "StartAt": "Price",
                            "States": {
                                "Price": {
                                    "Type": "Pass",
                                    "Parameters": {"id.$": "$.id", "total.$": "$.price"},
                                    "End": True,
                                }
                            },
                        },
                        "End": True,
                    }
                },
            },
            {"items": items},
        ),
        ("1,000 chained Pass states", chain(1_000), {"order": {"sku": "abc-1", "qty": 3}}),
        ("Parallel of 8 branches, each a 100-iteration loop", parallel, {"i": 0}),
    ]


def run(cmd, stdin_path):
    """Wall time (s) and peak RSS (KiB) of one run; the output must be a success."""
    with open(stdin_path, "rb") as stdin:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        p = subprocess.run(cmd, stdin=stdin, capture_output=True)
        elapsed = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()[-2000:]}")
    return elapsed, p


def peak_rss(cmd, stdin_path):
    """Peak RSS in MB of one run, from /usr/bin/time when there is one."""
    time_bin = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(time_bin):
        return None
    with open(stdin_path, "rb") as stdin:
        p = subprocess.run([time_bin, "-f", "%M"] + cmd, stdin=stdin, capture_output=True)
    try:
        return int(p.stderr.decode().strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--peer-dir", default=os.path.join(ROOT, "target", "peer"))
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    stepdbg = os.path.join(ROOT, "target", "release", "stepdbg")

    peer = os.path.join(args.peer_dir, "node_modules", ".bin", "local-sfn")
    if not os.path.exists(peer) and shutil.which("npm"):
        os.makedirs(args.peer_dir, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", PEER],
            cwd=args.peer_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    have_peer = os.path.exists(peer)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() if shutil.which("node") else None

    tmp = tempfile.mkdtemp(prefix="stepdbg-peer-")
    rows = []
    for name, definition, data in workloads():
        slug = str(len(rows))
        def_path = os.path.join(tmp, f"w{slug}.asl.json")
        in_path = os.path.join(tmp, f"w{slug}.input.json")
        with open(def_path, "w") as f:
            json.dump(definition, f)
        with open(in_path, "w") as f:
            json.dump(data, f)
        ours = [stepdbg, "run", def_path, "--input", "-", "--type", "EXPRESS", "--no-mocks"]
        theirs = [peer, "-f", def_path]
        # Interleaved, so a busy moment hits both.
        t_ours, t_theirs = [], []
        for _ in range(args.runs):
            t_ours.append(run(ours, in_path)[0])
            if have_peer:
                t_theirs.append(run(theirs, in_path)[0])
        row = {
            "workload": name,
            "definition KB": os.path.getsize(def_path) / 1024,
            "stepdbg ms": statistics.median(t_ours) * 1000,
            "stepdbg MB": peak_rss(ours, in_path),
        }
        if have_peer:
            row["peer ms"] = statistics.median(t_theirs) * 1000
            row["peer MB"] = peak_rss(theirs, in_path)
            row["ratio"] = row["peer ms"] / row["stepdbg ms"]
        rows.append(row)
    shutil.rmtree(tmp, ignore_errors=True)

    print(f"whole process, median of {args.runs} runs, interleaved; {os.cpu_count()} cores")
    if have_peer:
        print(f"peer: {PEER} on Node.js {node}")
        print(f"| workload | stepdbg | {PEER.split('@')[0]} | ratio | peak memory (stepdbg / peer) |")
        print("|---|---|---|---|---|")
        for r in rows:
            mem = f"{r['stepdbg MB']:.0f} / {r['peer MB']:.0f} MB" if r["stepdbg MB"] and r["peer MB"] else "?"
            print(f"| {r['workload']} | {r['stepdbg ms']:.1f} ms | {r['peer ms']:.0f} ms | **{r['ratio']:.0f}×** | {mem} |")
    else:
        print("peer not available (no Node.js/npm, or the install failed): stepdbg alone")
        for r in rows:
            print(f"{r['workload']}: {r['stepdbg ms']:.1f} ms, {r['stepdbg MB'] or 0:.0f} MB")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""cost.py — the per-exercise cost table of validate reports (moulinette --json), and what a pack of N
exercises would cost on C cores at each --jobs. A job slot holds a build or a test from start to end;
what it uses of a core is its CPU (user + system). A run can end no sooner than its slot time over
the slots, nor than its CPU over the cores:  wall(J) ≈ max(slots / J, CPU / C).

usage: cost.py REPORT.json [REPORT.json ...] [--exercises N] [--cores C]
       (several reports: the exercises of each; a later report of an exercise replaces an earlier one)"""
import json, sys


def main():
    args, n_target, cores = [], None, 2
    it = iter(sys.argv[1:])
    for a in it:
        if a == "--exercises": n_target = int(next(it))
        elif a == "--cores": cores = int(next(it))
        elif a.startswith("--"): sys.exit(__doc__)
        else: args.append(a)
    if not args: sys.exit(__doc__)
    rows = {}
    for path in args:
        r = json.load(open(path))
        for e in r["exercises"]:
            t = e.get("timing") or {}
            if "build_cpu_ms" not in t: sys.exit("%s: no CPU figures (a report of an older moulinette)" % path)
            n = (1 if "reference" in e else 0) + len(e.get("mutants", [])) + len(e.get("submissions", []))
            rows[e["id"]] = (n, t["build_ms"], t["tests_ms"], t["build_cpu_ms"], t["tests_cpu_ms"])
    print("%-40s %8s %10s %10s %10s %10s %6s" % ("exercise", "variants", "build slot", "build CPU", "tests slot", "tests CPU", "CPU %"))
    tot = [0, 0, 0, 0, 0]
    for ex, row in sorted(rows.items()):
        tot = [a + b for a, b in zip(tot, row)]
        n, bs, ts, bc, tc = row
        print("%-40s %8d %9.0fs %9.0fs %9.0fs %9.0fs %5.0f%%" % (ex, n, bs / 1e3, bc / 1e3, ts / 1e3, tc / 1e3, 100 * (bc + tc) / max(1, bs + ts)))
    n, bs, ts, bc, tc = tot
    print("%-40s %8d %9.0fs %9.0fs %9.0fs %9.0fs %5.0f%%" % ("all (%d)" % len(rows), n, bs / 1e3, bc / 1e3, ts / 1e3, tc / 1e3, 100 * (bc + tc) / max(1, bs + ts)))
    scale = (n_target or len(rows)) / len(rows)
    slots, cpu = (bs + ts) * scale / 60e3, (bc + tc) * scale / 60e3
    print("\n%d exercise(s) on %d core(s): %.0f min of slot time, %.0f min of CPU" % (n_target or len(rows), cores, slots, cpu))
    for j in (1, 2, 4, 6, 8):
        w = max(slots / j, cpu / cores)
        print("  --jobs %d: validate ≈ %4.0f min%s" % (j, w, "  (CPU-bound)" if cpu / cores >= slots / j else ""))
    print("(slot time measured under load is inflated by waiting for a CPU: an upper bound on an idle machine)")


if __name__ == "__main__":
    main()

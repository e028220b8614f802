#!/usr/bin/env python3
"""Allocations per record of `vital run`, counted on the release binary itself.

Runs `vital run --format jsonl --rules RULES` under valgrind's callgrind on
the first N1 and the first N2 lines of FILE and counts the calls made from
Rust into mimalloc's entry points (mi_malloc_aligned, mi_zalloc_aligned,
mi_realloc_aligned, mi_free: what the `MiMalloc` global allocator calls for
alloc, alloc_zeroed, realloc and dealloc; calls between mimalloc's own
functions are not counted). The fixed cost of start-up (reading and
checking the rules) cancels in (count(N2) - count(N1)) / (N2 - N1).

    python3 bench/allocs.py FILE [RULES] [N1 N2]     # VITAL=path: another binary

Why not a counting #[global_allocator] in a bench binary: the workspace
forbids `unsafe_code` (a GlobalAlloc impl is unsafe), and this counts the
binary users run: reader, engine, renderer and driver together. Needs
valgrind (Debian package `valgrind`).
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOC = {"mi_malloc_aligned", "mi_zalloc_aligned", "mi_realloc_aligned",
         "mi_malloc", "mi_zalloc", "mi_calloc", "mi_realloc"}
FREE = {"mi_free"}


def count(path):
    """Calls into mimalloc from outside it, by callee, in a callgrind file."""
    names = {}
    calls = {}
    caller = callee = None
    ref = re.compile(r"^\((\d+)\)(?: (.*))?$")

    def name(v):
        m = ref.match(v)
        if not m:
            return v
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), "?")

    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("fn="):
                caller = name(line[3:].strip())
            elif line.startswith("cfn="):
                callee = name(line[4:].strip())
            elif line.startswith("calls=") and callee is not None:
                n = int(line[6:].split()[0])
                if not (caller or "").startswith(("mi_", "_mi_")):
                    calls[callee] = calls.get(callee, 0) + n
                callee = None
    return calls


def run(binary, rules, data, n, tmp):
    part = os.path.join(tmp, f"part-{n}.jsonl")
    with open(data, "rb") as src, open(part, "wb") as dst:
        for i, line in enumerate(src):
            if i >= n:
                break
            dst.write(line)
    out = os.path.join(tmp, f"callgrind-{n}.out")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    binary, "run", "--format", "jsonl", "--rules", rules, part],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    c = count(out)
    return (sum(v for k, v in c.items() if k in ALLOC),
            sum(v for k, v in c.items() if "realloc" in k),
            sum(v for k, v in c.items() if k in FREE))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    data = args[0]
    rules = args[1] if len(args) > 1 else os.path.join(ROOT, "bench/rules")
    n1, n2 = (int(args[2]), int(args[3])) if len(args) > 3 else (2000, 12000)
    binary = os.environ.get("VITAL") or os.path.join(ROOT, "target/release/vital")
    with tempfile.TemporaryDirectory() as tmp:
        a1, r1, f1 = run(binary, rules, data, n1, tmp)
        a2, r2, f2 = run(binary, rules, data, n2, tmp)
    d = n2 - n1
    print(f"allocations per record: {(a2 - a1) / d:.1f}  (of which reallocations "
          f"{(r2 - r1) / d:.1f}; frees {(f2 - f1) / d:.1f}; {a1} allocations for "
          f"{n1} records, {a2} for {n2}, counted under callgrind)")


if __name__ == "__main__":
    main()

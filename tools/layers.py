#!/usr/bin/env python3
"""Folders call only downward: read every #include "..." line of the product
sources (tests, guests, benchmarks and tools left out), build the graph of
top-level folders (arch/x86 counts as one) and fail on any cycle, naming the
includes that make it. Usage: layers.py [ROOT]; exit 1 on a cycle."""
import os
import re
import sys

SKIP = {"test", "guests", "bench", "tools", "build", "docs", ".git", ".ci"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder(path):
    parts = path.split("/")
    if parts[0] == "arch" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else "."


def edges(root):
    found = {}
    for dirpath, dirnames, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel.split("/")[0] in SKIP:
            dirnames[:] = []
            continue
        for f in files:
            if not f.endswith((".c", ".h", ".S")):
                continue
            src = os.path.normpath(os.path.join(rel, f))
            with open(os.path.join(dirpath, f), errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    a, b = folder(src), folder(m.group(1))
                    if a != b and a != "." and b != ".":
                        found.setdefault((a, b), []).append("%s:%d: %s" % (src, n, m.group(1)))
    return found


def cycles(graph):
    """Strongly connected components with more than one folder (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def shortest_cycle(graph, start, members):
    """Breadth-first search from start back to itself inside one component."""
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph.get(v, ())):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return path[::-1] + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return []


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    found = edges(root)
    graph = {}
    for a, b in found:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    bad = cycles(graph)
    if not bad:
        print("layers: %d folders, %d folder-level include edges, no cycle" %
              (len(graph), len(found)))
        return 0
    for comp in bad:
        print("layers: include cycle between folders %s" % ", ".join(comp))
        seen = set()
        for v in comp:
            cyc = shortest_cycle(graph, v, set(comp))
            key = frozenset(zip(cyc, cyc[1:]))
            if not cyc or key in seen:
                continue
            seen.add(key)
            print("  cycle: %s" % " -> ".join(cyc))
            for a, b in zip(cyc, cyc[1:]):
                where = found[(a, b)]
                more = " (and %d more)" % (len(where) - 1) if len(where) > 1 else ""
                print("    %s -> %s: %s%s" % (a, b, where[0], more))
    return 1


if __name__ == "__main__":
    sys.exit(main())

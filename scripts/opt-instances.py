#!/usr/bin/env python3
"""Writes the small colouring and SAT instances of docs/optimization.md (committed beside it, so
this only documents how they were made): Mycielski's 6-chromatic myciel5, a random graph with a
planted 3-colouring, and random 3-SAT formulas at clause ratio 4.0 (below the 4.27 threshold)."""
import random
import sys
from pathlib import Path


def mycielski(edges, n):
    # Mycielski's construction: the graph's chromatic number grows by one, it stays triangle-free.
    out = list(edges)
    out += [(u, n + v) for u, v in edges] + [(v, n + u) for u, v in edges]
    out += [(n + v, 2 * n) for v in range(n)]
    return out, 2 * n + 1


def write_col(path, name, n, edges):
    lines = [f"c {name}", f"p edge {n} {len(edges)}"] + [f"e {u + 1} {v + 1}" for u, v in edges]
    path.write_text("\n".join(lines) + "\n")


def planted_colourable(n, k, degree, rng):
    # Edges only between different planted classes, so a proper k-colouring exists.
    colour = [i % k for i in range(n)]
    edges = set()
    while len(edges) < n * degree // 2:
        u, v = rng.randrange(n), rng.randrange(n)
        if colour[u] != colour[v]:
            edges.add((min(u, v), max(u, v)))
    return sorted(edges)


def random_3sat(n, m, rng):
    return [[v * rng.choice((-1, 1)) for v in rng.sample(range(1, n + 1), 3)] for _ in range(m)]


def write_cnf(path, name, n, clauses):
    lines = [f"c {name}", f"p cnf {n} {len(clauses)}"] + [" ".join(map(str, c)) + " 0" for c in clauses]
    path.write_text("\n".join(lines) + "\n")


def main(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # From K2, four steps: C5, the Groetzsch graph (DIMACS myciel3, 11 nodes), myciel4, myciel5.
    edges, n = [(0, 1)], 2
    for _ in range(4):
        edges, n = mycielski(edges, n)
    write_col(folder / "myciel5.col", "myciel5: Mycielski graph, chromatic number 6", n, edges)
    rng = random.Random(7)
    write_col(folder / "planted3-300.col", "planted3-300: random graph, mean degree 6, planted 3-colouring", 300,
              planted_colourable(300, 3, 6, rng))
    for n, seed in ((100, 1), (200, 2)):
        rng = random.Random(seed)
        write_cnf(folder / f"r3sat-{n}.cnf", f"r3sat-{n}: random 3-SAT, {n} variables, ratio 4.0, seed {seed}", n,
                  random_3sat(n, 4 * n, rng))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/optimization/instances")

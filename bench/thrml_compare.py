#!/usr/bin/env python3
"""tsu vs THRML: block-Gibbs throughput (spin flips per ns) on the Pegasus P14 Ising graph, same cores.

    .venv/bin/python bench/thrml_compare.py            # 1, 64 and 1024 chains, >= 1 s per measurement
    .venv/bin/python bench/thrml_compare.py --quick    # >= 0.25 s per measurement

The model is the edge-list file (4,264 spins, 30,404 couplings, biases on the diagonal), beta = 1,
loaded with tsu.load; THRML gets the same h and J as an IsingEBM, and both sweep the same blocks:
tsu.color's proper colouring (Pegasus is not bipartite, so a 2-colouring would not be Gibbs).

tsu: tsu.sample(threads=0, warmup=S, samples=1), S grown from a pilot until the sweeps alone last
at least --seconds; flips/ns is tsu's run['flips_per_ns'] = free nodes * chains * sweeps / sweep
seconds (setup and the one observation left out); the wall clock of the whole call is printed too.

THRML: IsingSamplingProgram with SpinGibbsConditional on every block, sample_states under jax.vmap
over chains, jit-compiled; one call runs K sweeps from the previous call's state (K ~ 1M flips /
(nodes*chains)), so the chain continues across calls. Compile time is excluded (one warm-up call),
every call ends with block_until_ready, and calls repeat until --seconds have passed (3 calls at least).
"""

import argparse
import math
import os
import platform
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import tsu  # noqa: E402

DEFAULT_GRAPH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "graphs",
                             "pegasus14_gauss.txt")


def ising_arrays(model):
    """h [n] and (edges [m, 2], J [m]) of an Ising tsu model (one- and two-spin factors)."""
    d = model.to_dict()
    n = model.num_nodes
    h = np.zeros(n)
    edges, weights = [], []
    for g in d["factors"]:
        if g.get("cats"):
            raise ValueError("not an Ising model: categorical factors")
        spins = np.asarray(g["spins"], dtype=np.int64)
        w = np.asarray(g["w"], dtype=np.float64)
        if spins.shape[1] == 1:
            np.add.at(h, spins[:, 0], w)
        elif spins.shape[1] == 2:
            edges.append(spins)
            weights.append(w)
        else:
            raise ValueError("not an Ising model: factors of more than two spins")
    return h, np.concatenate(edges), np.concatenate(weights)


def bench_tsu(model, chains, seconds, seed=0):
    """Grows the sweep count until the sweeps alone (tsu's run seconds less its observation) last >= seconds."""
    n = model.num_free
    sweeps = max(2, math.ceil(2e6 / (n * chains)))  # pilot: about 2M flips
    while True:
        t = time.perf_counter()
        r = tsu.sample(model, chains=chains, warmup=sweeps, samples=1, seed=seed, threads=0)
        wall = time.perf_counter() - t
        sweep_s = float(r.run["seconds"]) - float(r.run.get("observe_seconds", 0.0))
        if sweep_s >= seconds:
            break
        sweeps = math.ceil(sweeps * min(20.0, max(1.5, 1.15 * seconds / max(sweep_s, 1e-6))))
    done = int(r.run["sweeps"])
    return {
        "sweeps": done,
        "seconds": sweep_s,
        "flips_per_ns": float(r.run["flips_per_ns"]),
        "wall_seconds": wall,
        "wall_flips_per_ns": n * chains * done / wall / 1e9,
        "backend": r.run.get("backend", "?"),
    }


class ThrmlIsing:
    def __init__(self, h, edges, weights, beta, colour_blocks):
        import jax.numpy as jnp
        from thrml import Block, SpinNode
        from thrml.models import IsingEBM, IsingSamplingProgram

        t = time.perf_counter()
        self.n = len(h)
        nodes = [SpinNode() for _ in range(self.n)]
        ebm = IsingEBM(
            nodes,
            [(nodes[a], nodes[b]) for a, b in edges],
            jnp.asarray(h, dtype=jnp.float32),
            jnp.asarray(weights, dtype=jnp.float32),
            jnp.asarray(beta, dtype=jnp.float32),
        )
        self.blocks = [Block([nodes[i] for i in b]) for b in colour_blocks]
        self.program = IsingSamplingProgram(ebm, self.blocks, clamped_blocks=[])
        self.build_seconds = time.perf_counter() - t

    def bench(self, chains, seconds, seed=0):
        import jax
        from thrml import SamplingSchedule, sample_states

        n = self.n
        k_sweeps = max(1, math.ceil(1e6 / (n * chains)))
        # n_warmup = K sweeps, then one observation of every free block: the state to continue from
        schedule = SamplingSchedule(n_warmup=k_sweeps, n_samples=1, steps_per_sample=1)
        program, blocks = self.program, self.blocks

        @jax.jit
        def run(key, state):
            keys = jax.random.split(key, chains)
            out = jax.vmap(lambda k, s: sample_states(k, program, schedule, s, [], blocks))(keys, state)
            return [x[:, 0] for x in out]  # [chains, 1, block] -> [chains, block]

        key = jax.random.key(seed)
        key, *ks = jax.random.split(key, len(blocks) + 1)
        state = [jax.random.bernoulli(k, 0.5, (chains, len(b))) for k, b in zip(ks, blocks)]

        t = time.perf_counter()
        key, sub = jax.random.split(key)
        state = jax.block_until_ready(run(sub, state))  # compile + first call
        compile_s = time.perf_counter() - t

        calls = 0
        t = time.perf_counter()
        while True:
            key, sub = jax.random.split(key)
            state = jax.block_until_ready(run(sub, state))
            calls += 1
            wall = time.perf_counter() - t
            if wall >= seconds and calls >= 3:
                break
        sweeps = calls * k_sweeps
        return {
            "sweeps": sweeps,
            "seconds": wall,
            "flips_per_ns": n * chains * sweeps / wall / 1e9,
            "compile_seconds": compile_s,
            "sweeps_per_call": k_sweeps,
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run: >= 0.25 s per measurement")
    ap.add_argument("--seconds", type=float, default=None, help="minimum seconds per measurement (default 1.0)")
    ap.add_argument("--chains", type=int, nargs="+", default=[1, 64, 1024])
    ap.add_argument("--graph", default=DEFAULT_GRAPH)
    ap.add_argument("--beta", type=float, default=1.0)
    args = ap.parse_args()
    seconds = args.seconds if args.seconds is not None else (0.25 if args.quick else 1.0)

    import jax
    import thrml

    model = tsu.load(args.graph, beta=args.beta)
    h, edges, weights = ising_arrays(model)
    blocks = tsu.color(model)
    print(f"model   {model.name}: {model.num_nodes} spins, {len(edges)} couplings, beta {model.beta:g}, "
          f"{len(blocks)} colour blocks {[len(b) for b in blocks]}")
    print(f"host    {platform.machine()}, {os.cpu_count()} cores; tsu threads=0; jax {jax.__version__} "
          f"({os.environ.get('JAX_PLATFORMS', 'default platform')}), thrml {thrml.__version__}")
    print(f"        >= {seconds:g} s per measurement\n")

    # tsu first, for every chain count, before JAX has done any work: XLA's CPU thread pool, once
    # started, competes for the same 2 cores (a tsu run right after JAX work measured slower here).
    tsu_rows = {}
    for chains in args.chains:
        a = tsu_rows[chains] = bench_tsu(model, chains, seconds)
        print(f"  tsu   {chains:>5} chains: {a['sweeps']} sweeps in {a['seconds']:.2f} s "
              f"(call {a['wall_seconds']:.2f} s, backend {a['backend']})", flush=True)

    th = ThrmlIsing(h, edges, weights, model.beta, blocks)
    print(f"  THRML program built in {th.build_seconds:.2f} s", flush=True)
    rows = []
    for chains in args.chains:
        b = th.bench(chains, seconds)
        rows.append((chains, tsu_rows[chains], b))
        print(f"  THRML {chains:>5} chains: {b['sweeps']} sweeps in {b['seconds']:.2f} s "
              f"({b['sweeps_per_call']} per call, compile {b['compile_seconds']:.1f} s)", flush=True)

    print()
    print(f"{'chains':>7} | {'tsu flips/ns':>12} | {'THRML flips/ns':>14} | {'tsu/THRML':>9} | {'tsu wall flips/ns':>17}")
    print(f"{'-' * 7}-+-{'-' * 12}-+-{'-' * 14}-+-{'-' * 9}-+-{'-' * 17}")
    for chains, a, b in rows:
        ratio = a["flips_per_ns"] / b["flips_per_ns"]
        print(f"{chains:>7} | {a['flips_per_ns']:>12.4f} | {b['flips_per_ns']:>14.5f} | {ratio:>8.1f}x | "
              f"{a['wall_flips_per_ns']:>17.4f}")
    print("\ntsu flips/ns: tsu's run['flips_per_ns'] (the sweeps; setup and the final observation left out).")
    print("THRML flips/ns: wall clock of jitted vmap(sample_states) calls, compile excluded.")
    print("tsu wall flips/ns: the whole tsu.sample call (setup, initial states, observation included).")

if __name__ == "__main__":
    main()

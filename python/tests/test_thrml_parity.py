"""Parity with THRML (Extropic's JAX block-Gibbs library): the same models, sampled by both, agree.

Each model is built once as a tsu-model-v1 dict and once with THRML's own classes (the README's
IsingEBM verbatim; a CategoricalEBMFactor Potts ring; a mixed DiscreteEBMFactor model with clamped
nodes). That the two are exactly the same distribution is checked deterministically first: THRML's
energy of random states equals minus the log-weight of the tsu dict evaluated here with numpy, and
the numpy enumeration of that dict reproduces tsu.exact (marginals, pair moments, log Z).

Then both samplers run with fixed seeds and every moment is compared between them and with the
exact value. The standard error of each estimate comes from the spread of per-chain means across
many independent chains (so it is honest about autocorrelation within a chain); the bound is
Z = 5 standard errors (combined, sqrt(se_a^2 + se_b^2), between the two samplers). Each test also
checks its own power: the exact moments of the model with every weight scaled by 1.1 differ from the
true ones by more than that bound, and both samplers' estimates reject that wrong model.

THRML's conventions mirrored here: a factor contributes E = -W[c_1..c_N] * s_1*...*s_M (no beta;
IsingEBM folds beta into its factor weights), P ~ exp(-E); spins are stored as bool (True = +1);
categoricals as uint8; blocks must hold nodes of a single type; clamped nodes are clamped blocks
whose values are passed as the clamp state.
"""

import itertools
import os

import numpy as np
import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

jax = pytest.importorskip("jax")
thrml = pytest.importorskip("thrml")

import jax.numpy as jnp  # noqa: E402
from thrml import Block, BlockGibbsSpec, CategoricalNode, FactorSamplingProgram, SpinNode  # noqa: E402
from thrml import SamplingSchedule as ThrmlSchedule  # noqa: E402
from thrml import sample_states  # noqa: E402
from thrml.models import (  # noqa: E402
    CategoricalEBMFactor,
    CategoricalGibbsConditional,
    DiscreteEBMFactor,
    FactorizedEBM,
    IsingEBM,
    IsingSamplingProgram,
    SpinEBMFactor,
    SpinGibbsConditional,
    hinton_init,
)

import tsu  # noqa: E402

Z = 5.0  # bound, in standard errors
WRONG_SCALE = 1.1  # the slightly wrong model for the power check: every weight times 1.1


# ----------------------------------------------------------------------------------------------
# The tsu-model-v1 dict, evaluated independently with numpy


def _node_states(d):
    """Per node: 0 for a spin, K for a categorical (the compact node forms expanded)."""
    out = []
    for n in d["nodes"]:
        if n == "spin":
            out.append(0)
        elif isinstance(n, dict) and "spin" in n:
            out += [0] * int(n["spin"])
        elif isinstance(n, dict) and "categorical" in n:
            out += [int(n["categorical"])] * int(n.get("count", 1))
        else:
            raise ValueError(f"node kind {n!r}")
    return out


def _log_weight(d, x, beta=None):
    """beta * sum of factor terms for states x [B, nodes] (spins -1/+1, categoricals 0..K-1)."""
    beta = d.get("beta", 1.0) if beta is None else beta
    x = np.asarray(x, dtype=np.int64)
    total = np.zeros(x.shape[0])
    for g in d["factors"]:
        spins = np.asarray(g.get("spins", []), dtype=np.int64)
        cats = np.asarray(g.get("cats", []), dtype=np.int64)
        w = np.asarray(g["w"], dtype=np.float64)
        n_f = w.shape[0]
        term = np.ones((x.shape[0], n_f))
        if spins.size:
            term *= np.prod(x[:, spins], axis=-1)  # [B, F]
        if cats.size:
            idx = (np.arange(n_f)[None, :],) + tuple(x[:, cats[:, j]] for j in range(cats.shape[1]))
            term *= w[idx]
        else:
            term *= w[None, :]
        total += term.sum(axis=1)
    return beta * total


def _enumerate(d, beta=None):
    """All configurations of the free nodes (clamped ones at their values) and their probabilities."""
    states = _node_states(d)
    clamp = {int(k): int(v) for k, v in d.get("clamp", {}).items()}
    choices = []
    for i, k in enumerate(states):
        if i in clamp:
            choices.append([clamp[i]])
        else:
            choices.append([-1, 1] if k == 0 else list(range(k)))
    x = np.array(list(itertools.product(*choices)), dtype=np.int64)
    lw = _log_weight(d, x, beta)
    log_z = np.logaddexp.reduce(lw)
    return x, np.exp(lw - log_z), log_z


# ----------------------------------------------------------------------------------------------
# Moments as per-draw features, averaged per chain


def _features(x, states, nodes, pairs=(), cat_pairs=()):
    """Per-draw features of x [..., nodes]: for each node in `nodes` 1[s=+1] (spin) or the one-hot of
    its K states (categorical); s_i s_j for each spin pair; 1[c_i=a, c_j=b] for each categorical pair."""
    cols = []
    for i in nodes:
        if states[i] == 0:
            cols.append((x[..., i] == 1).astype(np.float64)[..., None])
        else:
            cols.append((x[..., i, None] == np.arange(states[i])).astype(np.float64))
    for i, j in pairs:
        cols.append((x[..., i] * x[..., j]).astype(np.float64)[..., None])
    for i, j in cat_pairs:
        ki, kj = states[i], states[j]
        joint = (x[..., i, None, None] == np.arange(ki)[:, None]) & (x[..., j, None, None] == np.arange(kj))
        cols.append(joint.reshape(*x.shape[:-1], ki * kj).astype(np.float64))
    return np.concatenate(cols, axis=-1)


def _chain_estimate(f):
    """f [chains, draws, F]: the mean and its standard error from the spread of per-chain means."""
    per_chain = f.mean(axis=1)
    n = per_chain.shape[0]
    return per_chain.mean(axis=0), per_chain.std(axis=0, ddof=1) / np.sqrt(n)


def _exact_features(d, feature_fn, beta=None):
    x, p, _ = _enumerate(d, beta)
    return p @ feature_fn(x)


def _check_parity(label, exact, wrong, est_thrml, est_tsu):
    """The statistical checks shared by every model (see the module docstring)."""
    (m_t, se_t), (m_u, se_u) = est_thrml, est_tsu
    tol = Z * np.sqrt(se_t**2 + se_u**2)

    diff = np.abs(m_t - m_u)
    assert np.all(diff <= tol), f"{label}: THRML vs tsu differ beyond {Z} sigma: {diff} > {tol}"
    assert np.all(np.abs(m_t - exact) <= Z * se_t), f"{label}: THRML vs exact: {m_t} vs {exact}, se {se_t}"
    assert np.all(np.abs(m_u - exact) <= Z * se_u), f"{label}: tsu vs exact: {m_u} vs {exact}, se {se_u}"

    # Power: the bound is tight enough that a model 10% off would be caught.
    gap = np.abs(wrong - exact)
    assert np.any(gap > tol), f"{label}: no power: max gap {gap.max()} vs tol {tol[np.argmax(gap)]}"
    assert np.any(np.abs(m_t - wrong) > Z * se_t), f"{label}: THRML does not reject the x{WRONG_SCALE} model"
    assert np.any(np.abs(m_u - wrong) > Z * se_u), f"{label}: tsu does not reject the x{WRONG_SCALE} model"


def _check_exact_matches_tsu(d, model):
    """The numpy reading of the dict is tsu's reading of it: marginals, pair moments and log Z agree."""
    states = _node_states(d)
    x, p, log_z = _enumerate(d)
    ex = tsu.exact(model)
    assert ex.log_z == pytest.approx(log_z, abs=1e-9)
    clamp = {int(k) for k in d.get("clamp", {})}
    for i, k in enumerate(states):
        if i in clamp:
            continue
        if k == 0:
            assert ex.marginals[i] == pytest.approx(p @ (x[:, i] == 1), abs=1e-9)
        else:
            np.testing.assert_allclose(ex.marginals[i], p @ (x[:, i, None] == np.arange(k)), atol=1e-9)
    pairs = np.asarray(ex.pairs).reshape(-1, 2)
    if len(pairs):
        np.testing.assert_allclose(ex.pair_moments, p @ (x[:, pairs[:, 0]] * x[:, pairs[:, 1]]), atol=1e-9)


# ----------------------------------------------------------------------------------------------
# The same model in THRML, from the dict


def _to_thrml_state(x_block, is_spin):
    """Global-convention values (spins -1/+1) to THRML's storage: bool for spins, uint8 for categoricals."""
    x_block = np.asarray(x_block)
    return jnp.asarray(x_block == 1) if is_spin else jnp.asarray(x_block.astype(np.uint8))


class ThrmlModel:
    """A tsu-model-v1 dict as a THRML FactorizedEBM and FactorSamplingProgram (same blocks, same clamps)."""

    def __init__(self, d):
        self.d = d
        self.states = _node_states(d)
        beta = float(d.get("beta", 1.0))
        self.nodes = [SpinNode() if k == 0 else CategoricalNode() for k in self.states]
        factors = []
        for g in d["factors"]:
            spins = np.asarray(g.get("spins", []), dtype=np.int64)
            cats = np.asarray(g.get("cats", []), dtype=np.int64)
            # THRML has no beta in a factor: fold it in, as IsingEBM does.
            w = jnp.asarray(beta * np.asarray(g["w"], dtype=np.float64), dtype=jnp.float32)
            # one Block per slot of the factor; the weights' leading dim runs along the blocks
            spin_groups = [Block([self.nodes[i] for i in col]) for col in spins.T] if spins.size else []
            cat_groups = [Block([self.nodes[i] for i in col]) for col in cats.T] if cats.size else []
            if not cat_groups:
                factors.append(SpinEBMFactor(spin_groups, w))
            elif not spin_groups:
                factors.append(CategoricalEBMFactor(cat_groups, w))
            else:
                factors.append(DiscreteEBMFactor(spin_groups, cat_groups, w))
        self.ebm = FactorizedEBM(factors)

        self.free_idx = [list(b) for b in d["blocks"]]
        self.free_blocks = [Block([self.nodes[i] for i in b]) for b in self.free_idx]
        samplers = []
        for b in self.free_idx:
            ks = {self.states[i] for i in b}
            assert len(ks) == 1, "a THRML block holds one node type (and one K)"
            k = ks.pop()
            samplers.append(SpinGibbsConditional() if k == 0 else CategoricalGibbsConditional(k))

        clamp = {int(k): int(v) for k, v in d.get("clamp", {}).items()}
        # clamped nodes: one clamped block per node type, its values the clamp state
        self.clamp_idx = _by_type(list(clamp), self.states)
        self.clamped_blocks = [Block([self.nodes[i] for i in idx]) for idx in self.clamp_idx]
        self.clamp_state = [
            _to_thrml_state([clamp[i] for i in idx], self.states[idx[0]] == 0) for idx in self.clamp_idx
        ]

        spec = BlockGibbsSpec(self.free_blocks, self.clamped_blocks)
        self.program = FactorSamplingProgram(spec, samplers, factors, [])

        # Observe every node, one block per node type, and map back to node order.
        self.obs_idx = _by_type(range(len(self.states)), self.states)
        self.obs_blocks = [Block([self.nodes[i] for i in idx]) for idx in self.obs_idx]

    def energies(self, x):
        """THRML's energy of each full state in x [B, nodes] (free blocks and clamped blocks as given)."""
        blocks = self.free_blocks + self.clamped_blocks
        idx = self.free_idx + self.clamp_idx
        block_states = [_to_thrml_state(x[:, b], self.states[b[0]] == 0) for b in idx]
        f = jax.jit(jax.vmap(lambda s: self.ebm.energy(s, blocks)))
        return np.asarray(f(block_states), dtype=np.float64)

    def random_init(self, key, n_chains):
        keys = jax.random.split(key, len(self.free_idx))
        init = []
        for k, b in zip(keys, self.free_idx):
            kk = self.states[b[0]]
            if kk == 0:
                init.append(jax.random.bernoulli(k, 0.5, (n_chains, len(b))))
            else:
                init.append(jax.random.randint(k, (n_chains, len(b)), 0, kk).astype(jnp.uint8))
        return init

    def sample(self, seed, n_chains, schedule):
        """[chains, n_samples, nodes] int64 in tsu's convention (spins -1/+1)."""
        k_init, k_samp = jax.random.split(jax.random.key(seed))
        init = self.random_init(k_init, n_chains)
        keys = jax.random.split(k_samp, n_chains)
        run = jax.jit(
            jax.vmap(lambda k, i: sample_states(k, self.program, schedule, i, self.clamp_state, self.obs_blocks))
        )
        out = run(keys, init)
        return _from_thrml_observation(out, self.obs_idx, self.states)


def _by_type(nodes, states):
    """The nodes split into spins and categoricals (THRML blocks hold a single node type), empty parts dropped."""
    parts = ([i for i in nodes if states[i] == 0], [i for i in nodes if states[i] > 0])
    return [p for p in parts if p]


def _from_thrml_observation(out, obs_idx, states):
    arrays = [np.asarray(a) for a in out]
    x = np.zeros((*arrays[0].shape[:-1], len(states)), dtype=np.int64)
    for a, idx in zip(arrays, obs_idx):
        x[..., idx] = (2 * a.astype(np.int64) - 1) if states[idx[0]] == 0 else a.astype(np.int64)
    return x


def _tsu_samples(model, chains, schedule, seed, **kw):
    r = tsu.sample(model, chains=chains, schedule=schedule, seed=seed, save_samples=True, **kw)
    return r, np.transpose(np.asarray(r.samples, dtype=np.int64), (1, 0, 2))  # [chains, samples, nodes]


def _check_energies(tm, d, n=64, seed=0):
    """THRML's energy of random states is minus the dict's log-weight: the same distribution."""
    rng = np.random.default_rng(seed)
    x = np.stack([rng.choice([-1, 1], n) if k == 0 else rng.integers(0, k, n) for k in tm.states], axis=1)
    for i, v in d.get("clamp", {}).items():
        x[:, int(i)] = int(v)
    np.testing.assert_allclose(tm.energies(x), -_log_weight(d, x), rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------------------------
# (a) THRML's README example: 5-spin chain, J = 0.5, beta = 1, h = 0


def test_readme_ising_chain():
    # THRML, verbatim from its README.
    nodes = [SpinNode() for _ in range(5)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(4)]
    biases = jnp.zeros((5,))
    weights = jnp.ones((4,)) * 0.5
    beta = jnp.array(1.0)
    model = IsingEBM(nodes, edges, biases, weights, beta)
    free_blocks = [Block(nodes[::2]), Block(nodes[1::2])]
    program = IsingSamplingProgram(model, free_blocks, clamped_blocks=[])
    key = jax.random.key(0)
    k_init, k_samp = jax.random.split(key, 2)
    init_state = hinton_init(k_init, model, free_blocks, ())
    schedule = ThrmlSchedule(n_warmup=100, n_samples=1000, steps_per_sample=2)
    samples = sample_states(k_samp, program, schedule, init_state, [], [Block(nodes)])
    assert len(samples) == 1
    assert samples[0].shape == (1000, 5)
    assert samples[0].dtype == jnp.bool_

    # The same model in tsu; the energies agree state by state.
    tm = tsu.ising(np.zeros(5), [[i, i + 1] for i in range(4)], [0.5] * 4, beta=1.0)
    d = tm.to_dict()
    _check_exact_matches_tsu(d, tm)
    rng = np.random.default_rng(0)
    x = rng.choice([-1, 1], size=(64, 5))
    e = jax.jit(jax.vmap(lambda s: model.energy([s], [Block(nodes)])))(jnp.asarray(x == 1))
    np.testing.assert_allclose(np.asarray(e), -_log_weight(d, x), rtol=1e-5, atol=1e-5)

    ex = tsu.exact(tm)
    np.testing.assert_allclose(ex.pair_moments, np.tanh(0.5), atol=1e-12)
    exact = np.full(4, np.tanh(0.5))
    wrong = np.asarray(tsu.exact(tm.with_beta(WRONG_SCALE)).pair_moments)  # = tanh(0.55)

    # Many chains of the README program (vmap), and as many in tsu, same schedule, hinton init.
    n_chains = 256
    keys = jax.random.split(jax.random.key(1), n_chains)
    inits = hinton_init(jax.random.key(2), model, free_blocks, (n_chains,))
    run = jax.jit(jax.vmap(lambda k, i: sample_states(k, program, schedule, i, [], [Block(nodes)])))
    out = run(keys, inits)
    assert out[0].shape == (n_chains, 1000, 5)
    x_thrml = _from_thrml_observation(out, [list(range(5))], [0] * 5)

    r, x_tsu = _tsu_samples(
        tm, n_chains, tsu.SamplingSchedule(100, 1000, 2), seed=3, init="hinton", blocks=[[0, 2, 4], [1, 3]]
    )
    assert x_tsu.shape == (n_chains, 1000, 5)
    assert r.run["sweeps"] == 100 + 999 * 2
    pairs = [(i, i + 1) for i in range(4)]
    np.testing.assert_array_equal(np.asarray(r.pairs), pairs)
    feat = lambda x: _features(x, [0] * 5, [], pairs)  # noqa: E731
    est_u = _chain_estimate(feat(x_tsu))
    np.testing.assert_allclose(r.pair_moments, est_u[0], atol=1e-12)  # tsu's own moments are these draws

    _check_parity("README chain <s_i s_i+1>", exact, wrong, _chain_estimate(feat(x_thrml)), est_u)


# ----------------------------------------------------------------------------------------------
# (b) Potts ring: 6 categoricals with 3 states, random (asymmetric) pair tables and biases


def _potts_ring_dict(n=6, k=3, seed=7):
    rng = np.random.default_rng(seed)
    edges = [[i, (i + 1) % n] for i in range(n)]  # (5, 0) puts the odd node first: orientation matters
    return {
        "format": "tsu-model-v1",
        "name": "potts-ring",
        "beta": 1.0,
        "nodes": [{"categorical": k, "count": n}],
        "factors": [
            {"cats": edges, "w": rng.normal(0.0, 0.8, (n, k, k)).tolist()},
            {"cats": [[i] for i in range(n)], "w": rng.normal(0.0, 0.5, (n, k)).tolist()},
        ],
        "blocks": [list(range(0, n, 2)), list(range(1, n, 2))],
    }


def test_potts_ring():
    d = _potts_ring_dict()
    model = tsu.Model.from_dict(d)
    _check_exact_matches_tsu(d, model)
    tm = ThrmlModel(d)
    _check_energies(tm, d)

    states = tm.states
    edges = [tuple(e) for e in d["factors"][0]["cats"]]
    nodes = list(range(len(states)))
    feat = lambda x: _features(x, states, nodes, cat_pairs=edges)  # noqa: E731
    exact = _exact_features(d, feat)
    wrong = _exact_features(d, feat, beta=WRONG_SCALE)
    np.testing.assert_allclose(exact[: 3 * len(nodes)], np.concatenate(tsu.exact(model).marginals), atol=1e-9)

    n_chains, n_samples, every = 256, 400, 3
    x_thrml = tm.sample(seed=11, n_chains=n_chains, schedule=ThrmlSchedule(100, n_samples, every))
    r, x_tsu = _tsu_samples(model, n_chains, tsu.SamplingSchedule(100, n_samples, every), seed=12)
    est_u = _chain_estimate(feat(x_tsu))
    np.testing.assert_allclose(np.concatenate(r.marginals), est_u[0][: 3 * len(nodes)], atol=1e-9)

    _check_parity("Potts ring marginals and edge joints", exact, wrong, _chain_estimate(feat(x_thrml)), est_u)


# ----------------------------------------------------------------------------------------------
# (c) Mixed spins and categoricals, DiscreteEBMFactors mixing them, one spin and one categorical clamped


def _mixed_dict(seed=3):
    rng = np.random.default_rng(seed)
    k = 3
    # nodes 0-4 spins, 5-8 categoricals with 3 states; node 4 (spin) clamped to -1, node 8 (cat) to 2
    nrm = lambda s, *shape: rng.normal(0.0, s, shape).tolist()  # noqa: E731
    return {
        "format": "tsu-model-v1",
        "name": "mixed",
        "beta": 0.9,
        "nodes": [{"spin": 5}, {"categorical": k, "count": 4}],
        "factors": [
            {"spins": [[0], [1], [2], [3], [4]], "w": nrm(0.4, 5)},
            {"spins": [[0, 1], [1, 2], [2, 3], [3, 0], [2, 4]], "w": nrm(0.6, 5)},
            {"cats": [[5], [6], [7], [8]], "w": nrm(0.5, 4, k)},
            {"spins": [[0], [1], [2], [3], [1]], "cats": [[5], [6], [7], [8], [5]], "w": nrm(0.7, 5, k)},
            {"spins": [[0, 1], [2, 3]], "cats": [[6], [5]], "w": nrm(0.7, 2, k)},
            {"cats": [[5, 6], [6, 7], [7, 8]], "w": nrm(0.7, 3, k, k)},
        ],
        "clamp": {"4": -1, "8": 2},
        "blocks": [[0, 2], [1, 3], [5, 7], [6]],
    }


def test_mixed_spin_categorical_clamped():
    d = _mixed_dict()
    model = tsu.Model.from_dict(d)
    assert model.num_free == 7
    _check_exact_matches_tsu(d, model)
    tm = ThrmlModel(d)
    _check_energies(tm, d)

    states = tm.states
    free = [0, 1, 2, 3, 5, 6, 7]
    spin_pairs = [tuple(p) for p in np.asarray(tsu.exact(model).pairs).tolist()]
    feat = lambda x: _features(x, states, free, pairs=spin_pairs)  # noqa: E731
    exact = _exact_features(d, feat)
    wrong = _exact_features(d, feat, beta=WRONG_SCALE * d["beta"])
    ex = tsu.exact(model)
    ex_marginals = np.concatenate([[ex.marginals[i] for i in free[:4]], *[ex.marginals[i] for i in free[4:]]])
    np.testing.assert_allclose(exact[: 4 + 9], ex_marginals, atol=1e-9)

    n_chains, n_samples, every = 256, 400, 3
    x_thrml = tm.sample(seed=21, n_chains=n_chains, schedule=ThrmlSchedule(100, n_samples, every))
    r, x_tsu = _tsu_samples(model, n_chains, tsu.SamplingSchedule(100, n_samples, every), seed=22)
    # The clamped nodes never move, in either.
    assert np.all(x_thrml[..., 4] == -1) and np.all(x_thrml[..., 8] == 2)
    assert np.all(x_tsu[..., 4] == -1) and np.all(x_tsu[..., 8] == 2)

    est_t, est_u = _chain_estimate(feat(x_thrml)), _chain_estimate(feat(x_tsu))
    _check_parity("mixed model free marginals and spin pairs", exact, wrong, est_t, est_u)

"""The tsu package against exact answers, the CLI, and its own contracts (errors, views, threads)."""

import _thread
import json
import math
import subprocess
import threading

import numpy as np
import pytest

import tsu


def five_sigma(p, draws):
    """Five standard errors of a frequency p estimated from `draws` independent draws."""
    return 5 * math.sqrt(max(p * (1 - p), 1e-4) / draws)


def test_load_and_exact_small(root):
    r = tsu.exact(tsu.load(str(root / "examples/small.json")))
    assert r.marginals[1] == 0.0  # node 1 is clamped at -1
    assert math.isclose(sum(r.marginals[2]), 1.0, rel_tol=1e-12)
    d = r.to_dict()
    assert d["run"]["method"] == "exact enumeration" and d["log_z"] == pytest.approx(r.log_z)


def test_sampled_marginals_agree_with_exact_and_not_with_a_wrong_model(root):
    model = tsu.load(str(root / "examples/small.json"))
    # Every 4 sweeps the observations of this 3-node model are nearly independent; 5 sigma with
    # half the draws as the effective count.
    r = tsu.sample(model, chains=256, warmup=50, samples=800, every=4, seed=3)
    draws = r.draws / 2
    exact = tsu.exact(model)
    wrong = tsu.exact(model.with_beta(1.15))
    p, q, w = r.marginals[0], exact.marginals[0], wrong.marginals[0]
    assert abs(p - q) < five_sigma(q, draws)
    assert abs(w - q) > 1.5 * five_sigma(q, draws)  # the bound would catch a 15 % error in beta
    for k in range(3):
        assert abs(r.marginals[2][k] - exact.marginals[2][k]) < five_sigma(exact.marginals[2][k], draws)


def flat_entries(groups, field):
    """A diagnostics or moments list per factor group, flattened to the order of factor_moments."""
    out = []
    for group in groups:
        for entry in group[field]:
            out.extend(entry if isinstance(entry, list) else [entry])
    return np.array([np.nan if x is None else x for x in out])


def test_factor_moments_cover_every_group_and_agree_with_exact(root):
    model = tsu.load(str(root / "examples/small.json"))
    r = tsu.sample(model, chains=64, warmup=50, samples=800, every=2, seed=5)
    exact, wrong = tsu.exact(model), tsu.exact(model.with_beta(1.3))
    assert r.factor_moments.shape == exact.factor_moments.shape == (2 + 1 + 3 + 3,)
    np.testing.assert_array_equal(flat_entries(r.to_dict()["factor_moments"], "moments"), r.factor_moments)
    mcse = flat_entries(r.diagnostics["factor_moments"], "mcse")
    seen = mcse > 0  # the clamped spin's bias and the table entries it rules out never vary
    assert seen.sum() >= 5
    z = (r.factor_moments - exact.factor_moments)[seen] / mcse[seen]
    assert np.max(np.abs(z)) < 4.5
    assert np.max(np.abs((r.factor_moments - wrong.factor_moments)[seen] / mcse[seen])) > 4.5
    assert r.factor_moments[2] == r.pair_moments[0]


def test_to_dict_equals_the_cli_moments_json(root, cli, tmp_path):
    args = ["--chains", "16", "--warmup", "10", "--samples", "50", "--every", "2", "--seed", "7", "--threads", "1"]
    subprocess.run([cli, "sample", root / "examples/small.json", *args, "--out", tmp_path, "--quiet"], check=True)
    from_cli = json.loads((tmp_path / "moments.json").read_text())
    r = tsu.sample(tsu.load(str(root / "examples/small.json")), chains=16, warmup=10, samples=50, every=2, seed=7,
                   threads=1)
    mine = r.to_dict()
    for timing in ("seconds", "observe_seconds", "flips_per_ns", "model"):
        del from_cli["run"][timing], mine["run"][timing]
    assert mine == from_cli


def test_exact_to_dict_equals_the_cli(root, cli, tmp_path):
    subprocess.run([cli, "exact", root / "examples/small.json", "--out", tmp_path, "--quiet"], check=True)
    from_cli = json.loads((tmp_path / "moments.json").read_text())
    mine = tsu.exact(tsu.load(str(root / "examples/small.json"))).to_dict()
    del from_cli["run"]["model"], mine["run"]["model"]
    assert mine == from_cli


def test_model_dict_round_trip(root):
    model = tsu.load(str(root / "examples/small.json"))
    again = tsu.Model.from_dict(model.to_dict())
    assert again.to_json() == model.to_json()
    assert again.states == [0, 0, 3] and again.num_free == 2


def test_ising_chain_has_tanh_correlations():
    model = tsu.ising(np.zeros(5), [[0, 1], [1, 2], [2, 3], [3, 4]], [0.5] * 4)
    r = tsu.exact(model)
    np.testing.assert_allclose(r.pair_moments, math.tanh(0.5), rtol=1e-12)
    np.testing.assert_array_equal(r.pairs, [[0, 1], [1, 2], [2, 3], [3, 4]])


def test_clamp_and_blocks_arguments():
    model = tsu.ising([0.2, 0.0, -0.1], [[0, 1], [1, 2]], [0.7, -0.4])
    r = tsu.sample(model, chains=8, samples=20, clamp={0: 1}, blocks=[[1], [2]])
    assert r.marginals[0] == 1.0 and r.run["blocks"] == 2
    exact = tsu.exact(model.with_clamp({0: 1}))
    assert exact.marginals[0] == 1.0
    with pytest.raises(ValueError, match="blocks"):
        tsu.sample(model, blocks=[[0, 1, 2]])  # not an independent set


def test_quantize_and_sample_at_that_precision():
    # 3 bits, step 0.61 / 3: the biases 0.61 and 0.35 become the codes 3 and 2, so P(s1 = +1) moves
    # from sigmoid(0.70) = 0.668 to sigmoid(4 * 0.61 / 3) = 0.693, about 4 bounds of 40,000 draws.
    model = tsu.ising([0.61, 0.35], [], [])
    quantized, step, error = tsu.quantize(model, 3)
    assert step == pytest.approx(0.61 / 3) and error == pytest.approx(2 * 0.61 / 3 - 0.35)
    exact = tsu.exact(quantized).marginals
    assert exact[1] == pytest.approx(1 / (1 + math.exp(-4 * 0.61 / 3)))
    r = tsu.sample(model, chains=40000, warmup=2, samples=1, bits=3)
    assert r.run["quantization"]["bits"] == 3
    for p, q in zip(r.marginals, exact):
        assert abs(p - q) < five_sigma(q, r.draws)
    assert abs(r.marginals[1] - tsu.exact(model).marginals[1]) > 1.5 * five_sigma(0.67, r.draws)
    with pytest.raises(ValueError, match="--bits: must be between 2 and 16, got 1"):
        tsu.quantize(model, 1)


def test_init_states_take_any_integer_dtype():
    model = tsu.ising([0.0, 0.0, 0.0], [], [])
    signed = np.array([[-1, 1, 1], [1, -1, 1]], dtype=np.int64)
    for states in (signed, (signed > 0).astype(np.uint8), signed > 0, (signed > 0).astype(np.uint8) * 255):
        r = tsu.sample(model, chains=2, warmup=0, samples=1, init_states=states)
        assert list(r.marginals) == [0.5, 0.5, 1.0]
    with pytest.raises(ValueError, match="init_states: expected an array of bool, int8"):
        tsu.sample(model, chains=2, warmup=0, samples=1, init_states=signed.astype(np.float32))
    with pytest.raises(ValueError, match="node 0 needs -1 or \\+1, got 0"):
        tsu.sample(model, chains=2, warmup=0, samples=1, init_states=np.zeros((2, 3), dtype=np.int8))


def test_schedule_replaces_warmup_samples_every():
    model = tsu.ising([0.1, 0.1], [[0, 1]], [0.3])
    r = tsu.sample(model, chains=2, schedule=tsu.SamplingSchedule(100, 10, 2))
    assert r.run["sweeps"] == 118 and r.draws == 20


def test_errors_carry_the_cli_message(tmp_path):
    with pytest.raises(OSError, match="missing.json: cannot open"):
        tsu.load(str(tmp_path / "missing.json"))
    bad = {"format": "tsu-model-v1", "nodes": ["spin"], "factors": [{"spins": [[5]], "w": [1.0]}]}
    with pytest.raises(ValueError, match="factors"):
        tsu.Model.from_dict(bad)
    with pytest.raises(ValueError, match="chains: must be >= 1"):
        tsu.sample(tsu.ising([0.0], [], []), chains=0)
    with pytest.raises(ValueError, match="edges"):
        tsu.ising([0.0, 0.0], [[0, 2]], [1.0])


def test_samples_are_a_view_that_keeps_the_result_alive():
    model = tsu.load("grid:10:G8", beta=0.3)
    r = tsu.sample(model, chains=64, warmup=5, samples=3, save_samples=True, seed=2)
    a, b = r.samples, r.samples
    assert a.shape == (3, 64, 100) and a.dtype == np.int8
    assert np.shares_memory(a, b)  # both views of the result's own storage
    del r
    assert set(np.unique(a)) <= {-1, 1}  # still valid after the result's name is gone


def test_same_seed_same_samples_at_any_thread_count():
    model = tsu.load("grid:22:G12", beta=0.4)
    runs = [tsu.sample(model, chains=128, warmup=20, samples=4, seed=5, threads=t, save_samples=True) for t in (1, 2)]
    assert runs[0].run["backend"] == "fast"
    np.testing.assert_array_equal(runs[0].samples, runs[1].samples)


def test_merge_of_two_seeds_weights_by_draws():
    model = tsu.ising([0.3, -0.2], [[0, 1]], [0.5])
    a = tsu.sample(model, chains=16, samples=100, seed=1, save_samples=True)
    b = tsu.sample(model, chains=48, samples=100, seed=2, save_samples=True)
    expected = (a.marginals[0] * a.draws + b.marginals[0] * b.draws) / (a.draws + b.draws)
    a.merge(b)
    assert a.draws == 6400 and a.run["chains"] == 64 and a.samples.shape == (100, 64, 2)
    assert a.marginals[0] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="schedule"):
        a.merge(tsu.sample(model, chains=16, samples=50, save_samples=True))


def test_progress_callback_and_its_errors():
    seen = []
    tsu.sample(tsu.load("grid:10:G8"), chains=4, warmup=1000, samples=1, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (1000, 1000) and all(d <= t for d, t in seen)

    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        tsu.sample(tsu.load("grid:10:G8"), chains=4, warmup=1000, samples=1, progress=fail)


def test_ctrl_c_stops_a_long_call():
    # About a minute of sweeps on 2 cores if nothing stopped it; the interrupt comes after 0.3 s.
    model = tsu.load("grid:70:G12")
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            tsu.sample(model, chains=1024, warmup=200_000, samples=1)
    finally:
        timer.cancel()


def test_color_gives_independent_blocks():
    model = tsu.load("grid:10:G8")
    blocks = tsu.color(model)
    assert sorted(i for b in blocks for i in b) == list(range(100))
    tsu.sample(model, chains=2, samples=2, blocks=blocks)  # accepted as a layout


def test_hw_run_reports_the_chip_beside_the_ideal_engine(root):
    model = tsu.load(str(root / "examples/ising_chain.json"))
    r = tsu.hw_run(model, device="ideal", ideal=True, compare=True, samples=400, seed=1)
    assert set(r) >= {"chip", "statistics", "energy", "run", "compare"}
    assert r["compare"]["chip_vs_exact"]["mean"] < 0.05  # an ideal chip samples the model
    with pytest.raises(ValueError, match="mode"):
        tsu.hw_run(model, mode="sideways")


def test_hw_energy_and_calibrate(root):
    e = tsu.hw_energy(grid=70, rule="G12", sweeps=250, steps=8)
    assert e["cells"] == 4900
    c = tsu.hw_calibrate(tsu.load("grid:20:G8"), device=str(root / "examples/devices/mismatched.json"))
    assert c["after_mean"] < c["before_mean"]


def test_chain_ranges_merge_into_the_whole_run():
    model = tsu.load("grid:22:G12", beta=0.3)
    whole = tsu.sample(model, chains=128, warmup=10, samples=5, seed=4, save_samples=True)
    part = tsu.sample(model, chains=64, warmup=10, samples=5, seed=4, save_samples=True)
    rest = tsu.sample(model, chains=64, warmup=10, samples=5, seed=4, save_samples=True, first_chain=64)
    assert rest.run["first_chain"] == 64
    part.merge(rest)
    np.testing.assert_array_equal(part.samples, whole.samples)
    np.testing.assert_allclose(part.marginals, whole.marginals, rtol=1e-12)
    assert part.energy_mean == pytest.approx(whole.energy_mean, rel=1e-12)
    assert part.energy_std == pytest.approx(whole.energy_std, rel=1e-9)


def ising_distribution(h, edges, w):
    """Every state of len(h) spins (node 0 fastest) and its exact probability."""
    n = len(h)
    states = np.array([[1 if (index >> i) & 1 else -1 for i in range(n)] for index in range(2**n)], dtype=np.int8)
    score = states @ np.array(h) + sum(wk * states[:, a] * states[:, b] for (a, b), wk in zip(edges, w))
    p = np.exp(score - score.max())
    return states, p / p.sum()


def test_train_matches_the_data_moments_and_the_cli(cli, tmp_path):
    edges = [[0, 1], [1, 2], [0, 2]]
    states, p = ising_distribution([0.3, -0.2, 0.1], edges, [0.5, -0.4, 0.2])
    rows = states[np.random.default_rng(0).choice(len(p), 4000, p=p)]
    start = tsu.ising([0.01, 0.01, 0.01], edges, [0.01, 0.01, 0.01])
    r = tsu.train(start, rows, method="exact", batch=4000, epochs=300, lr=0.05)
    assert r.epochs_done == 300 and r.resumed_from == 0 and len(r.history) == 300
    assert r.history[-1]["nll"] < r.history[0]["nll"]
    # The maximum-likelihood fit reproduces the data's moments (a tenth of their standard error, 0.016).
    fitted = tsu.exact(r.model)
    np.testing.assert_allclose([2 * m - 1 for m in fitted.marginals], rows.mean(axis=0), atol=1.6e-3)
    data_pairs = [np.mean(rows[:, a].astype(float) * rows[:, b]) for a, b in fitted.pairs]
    np.testing.assert_allclose(fitted.pair_moments, data_pairs, atol=1.6e-3)
    # The CLI trains the same model from the same files.
    (tmp_path / "start.json").write_text(start.to_json())
    np.save(tmp_path / "rows.npy", rows)
    subprocess.run([cli, "train", tmp_path / "start.json", "--data", tmp_path / "rows.npy", "--out", tmp_path / "cli",
                    "--method", "exact", "--batch", "4000", "--epochs", "300", "--lr", "0.05", "--quiet"], check=True)
    assert json.loads((tmp_path / "cli/model.json").read_text()) == r.model.to_dict()


def test_train_resumes_a_folder_and_reports_bad_data(tmp_path):
    model = tsu.load("rbm:6:3", j_sigma=0.05)
    rows = (np.random.default_rng(1).random((200, 6)) < 0.3).astype(np.uint8)
    first = tsu.train(model, rows, out=str(tmp_path), epochs=3, batch=50, chains=50, stop_after=1)
    assert first.epochs_done == 1
    seen = []
    rest = tsu.train(model, rows, out=str(tmp_path), epochs=3, batch=50, chains=50,
                     progress=lambda epoch, done, total: seen.append((epoch, done, total)))
    assert rest.resumed_from == 1 and rest.epochs_done == 3 and seen[-1] == (3, 4, 4)
    whole = tsu.train(model, rows, epochs=3, batch=50, chains=50)
    assert whole.model.to_json() == rest.model.to_json()  # resumed, the fit is the uninterrupted one
    with pytest.raises(ValueError, match="data: expected an array of bool, int8"):
        tsu.train(model, rows.astype(np.float32))
    with pytest.raises(ValueError, match=r"data: \[0, 0\]: spin node 0 needs 0 or 1"):
        tsu.train(model, np.full((200, 6), 7, dtype=np.uint8))
    with pytest.raises(ValueError, match="made from another config.epochs"):
        tsu.train(model, rows, out=str(tmp_path), epochs=4, batch=50, chains=50)


def test_log_z_agrees_with_exact_and_scores_rows(tmp_path):
    model = tsu.load("rbm:6:4", j_sigma=0.5, h_sigma=0.2)
    r = tsu.log_z(model, chains=400, steps=300, seed=1)
    exact = tsu.exact(model).log_z
    assert r["exact_log_z"] == pytest.approx(exact)
    assert abs(r["log_z"] - exact) < 5 * r["standard_error"] and r["standard_error"] < 0.05
    rows = (np.random.default_rng(2).random((50, 6)) < 0.5).astype(np.int8) * 2 - 1
    np.save(tmp_path / "rows.npy", rows)
    scored = tsu.log_z(model, chains=400, steps=300, seed=1, data=str(tmp_path / "rows.npy"))
    assert scored["data"]["rows"] == 50 and scored["log_z"] == r["log_z"]
    with pytest.raises(ValueError, match="chains: must be at least 2"):
        tsu.log_z(model, chains=1)


def test_tempering_reports_its_ladder_and_swap_rates():
    model = tsu.load("grid:10:G8", beta=2.0)
    r = tsu.sample(model, chains=4, warmup=50, samples=20, tempering=4, tempering_lowest=0.3, seed=2)
    t = r.run["tempering"]
    assert t["replicas"] == 4 and t["beta_factors"][-1] == 1.0 and len(t["swap_rates"]) == 3
    assert all(0 < rate < 1 for rate in t["swap_rates"]) and r.run["backend"] == "fast+tempering"
    with pytest.raises(ValueError, match="tempering ladder: must end at 1"):
        tsu.sample(model, chains=4, tempering_ladder=[0.5, 0.8])

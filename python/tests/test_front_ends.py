"""The optimisation, cost, bench and study entry points: the CLI's reports, from Python."""

import csv
import json
import subprocess

import numpy as np
import pytest

import tsu


def test_optimize_qubo_finds_the_optimum_and_writes_a_verified_solution(root, tmp_path):
    solution = tmp_path / "qubo.sol"
    r = tsu.optimize("qubo", str(root / "examples/qubo.txt"), target="-3", runs=2, time_limit=5,
                     solution=str(solution), seed=3)
    # examples/qubo.txt: the optimum -3 is at x = 1 0 1 0 (checked by hand in the file's comment)
    assert r["best"] == -3 and r["verified_value"] == -3
    assert r["time_to_target"]["runs_reached"] == 2
    np.testing.assert_array_equal(r["solution"], [1, 0, 1, 0])
    checked = tsu.verify_solution("qubo", str(root / "examples/qubo.txt"), str(solution), target="-2.5")
    assert checked["value"] == -3 and checked["reached"] is True
    assert r["options"]["sweeps"] == 1000  # the qubo kind's default


def test_optimize_takes_the_kinds_defaults_and_matches_the_cli(root, cli, tmp_path):
    cnf = tmp_path / "f.cnf"
    cnf.write_text("p cnf 3 2\n1 -2 0\n2 3 0\n")
    r = tsu.optimize("sat", str(cnf), runs=1, seed=5, solution=str(tmp_path / "py.sol"))
    assert r["options"]["sweeps"] == 200 and r["options"]["beta_end"] == 20  # the sat defaults
    assert r["target"] == 0 and r["best"] == 0
    out = subprocess.run([str(cli), "sat", str(cnf), "--runs", "1", "--seed", "5", "--json", "--solution",
                          str(tmp_path / "cli.sol")], capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    assert doc["best"] == r["best"] and doc["options"] == r["options"]
    assert (tmp_path / "py.sol").read_text().splitlines()[1:] == (tmp_path / "cli.sol").read_text().splitlines()[1:]


def test_optimize_errors_are_value_errors(root):
    with pytest.raises(ValueError, match="problem: expected maxcut, color, sat or qubo"):
        tsu.optimize("tsp", str(root / "examples/qubo.txt"))
    with pytest.raises(ValueError, match="--target: a percentage needs a maximisation problem"):
        tsu.optimize("qubo", str(root / "examples/qubo.txt"), target="99%")
    with pytest.raises(OSError):
        tsu.optimize("sat", "no/such.cnf")


def test_cost_reports_every_input_with_its_source():
    base = tsu.cost("llm")
    assert base["preset"] == "today"
    changed = tsu.cost("llm", inputs={"tokens_in": 1000})
    assert changed["inputs"]["tokens_in"]["value"] == 1000
    assert changed["inputs"]["tokens_in"]["source"] == "--tokens-in (command line)"
    assert changed["outputs"] != base["outputs"]
    with pytest.raises(ValueError, match=r"cost llm: --tokens-in: must be >= 0, got -1"):
        tsu.cost("llm", inputs={"tokens_in": -1})
    with pytest.raises(ValueError, match='no input "nonsense"'):
        tsu.cost("llm", inputs={"nonsense": 1})
    assert {p["name"] for p in tsu.cost_presets()["llm"]} >= {"today"}


def test_cost_equals_the_cli(cli):
    out = subprocess.run([str(cli), "cost", "asic", "--json"], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == tsu.cost("asic")


def test_bench_rows():
    rows = tsu.bench("grid:10:G8", chains=[2, 4], sweeps=5, reference=False)
    assert [r["chains"] for r in rows] == [2, 4]
    assert rows[0]["spins"] == 100 and rows[0]["edges"] == 400 and rows[0]["speedup"] is None
    assert all(r["fast_flips_per_ns"] > 0 for r in rows)
    assert "bits" not in rows[0]
    quantized = tsu.bench("grid:10:G8", chains=[70], sweeps=5, reference=False, bits=8)[0]
    assert quantized["bits"] == 8 and quantized["quantized_flips_per_ns"] > 0
    assert quantized["quantized_speedup"] == quantized["quantized_flips_per_ns"] / quantized["fast_flips_per_ns"]
    with pytest.raises(ValueError, match="--bits: must be between 2 and 16, got 1"):
        tsu.bench("grid:10:G8", chains=[2], sweeps=1, reference=False, bits=1)


def test_hw_study_writes_the_table_and_plot(tmp_path):
    tables = tsu.hw_study(["transfer"], str(tmp_path))
    columns, rows = tables["transfer"]
    with open(tmp_path / "transfer.csv") as f:
        written = list(csv.reader(f))
    assert written[0] == columns and len(written) == len(rows) + 1
    assert (tmp_path / "transfer.png").read_bytes()[1:4] == b"PNG"
    with pytest.raises(ValueError, match='study: unknown study "nonsense"'):
        tsu.hw_study(["transfer", "nonsense"], str(tmp_path / "none"))


def test_dtm_study_trains_and_tabulates(root, tmp_path):
    calls = []
    r = tsu.dtm_study([str(root / "configs/dtm/tiny.json")], str(tmp_path), threads=1,
                      progress=lambda epoch, done, total: calls.append(epoch))
    assert r["metric"] == "fd_pixel" and r["runs"][0]["epochs"] == 3
    assert sorted(set(calls)) == [1, 2, 3]
    with open(tmp_path / "study.csv") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["1", "2", "3"]
    # One run is too few for the scaling fit: its point is listed, there is no fit.
    for mode in ("free", "clamped"):
        assert len(r["scaling"][mode]["points"]) == 1 and r["scaling"][mode]["fit"] is None


def test_dtm_generate_takes_the_annealing_ends(root, tmp_path):
    run = tmp_path / "run"
    tsu.dtm_train(str(root / "configs/dtm/tiny.json"), str(run), threads=1)
    default = tsu.dtm_generate(str(run), str(tmp_path / "a"), n=20, seed=2, threads=1, trajectory=0)
    assert default["beta"] == {"start": 0.8, "end": 1.2}
    assert default == json.loads((tmp_path / "a" / "generate.json").read_text())
    flat = tsu.dtm_generate(str(run), str(tmp_path / "b"), n=20, seed=2, beta_start=1.0, beta_end=1.0, threads=1,
                            trajectory=0)
    assert flat["beta"] == {"start": 1.0, "end": 1.0} and flat["free"]["flips"] == default["free"]["flips"]
    a = (tmp_path / "a" / "samples-free.npy").read_bytes()
    assert a != (tmp_path / "b" / "samples-free.npy").read_bytes()  # another temperature, other samples
    with pytest.raises(ValueError, match="beta"):
        tsu.dtm_generate(str(run), str(tmp_path / "c"), n=20, beta_start=0.0)

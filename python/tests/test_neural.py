"""tsu.compare and tsu.classifier_metric: the libtorch module (libtsu_neural.so), loaded on first use.

One tiny comparison is run from Python; the CLI then resumes the same folder and must score every
model the same, and evaluates the comparison's DTM with the same classifier as Python does.
"""

import json
import subprocess

import pytest

import tsu


@pytest.fixture(scope="module")
def tiny_compare(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    out, cache, lines = folder / "c", folder / "cache", []
    report = tsu.compare(str(out), scale="tiny", cache=str(cache), samples=110, threads=2, log=lines.append)
    return out, cache, lines, report


def test_compare_returns_what_it_writes_and_the_cli_resumes_it_to_the_same_scores(cli, tiny_compare):
    out, cache, lines, report = tiny_compare
    assert report == json.loads((out / "compare.json").read_text())
    assert report["format"] == "tsu-compare-v1" and report["metric"] == "fd_classifier"
    assert {m["family"] for m in report["models"]} == {"dtm", "vae", "gan", "diffusion", "bernoulli", "mixture"}
    for m in report["models"]:  # the default 200 bootstrap replicates: an interval about every estimate
        lo, hi = m["quality"]["fd_ci"]
        assert lo <= m["quality"]["fd"] <= hi, m["name"]
    assert (out / "compare.png").exists() and (out / "report.html").exists()
    assert any("vae" in line for line in lines)  # log: one line per step
    subprocess.run([str(cli), "compare", "--scale", "tiny", "--out", str(out), "--cache", str(cache), "--samples",
                    "110", "--threads", "2", "--quiet"], check=True)
    again = json.loads((out / "compare.json").read_text())["models"]
    assert [m["name"] for m in again] == [m["name"] for m in report["models"]]
    for resumed, first in zip(again, report["models"]):
        assert resumed["quality"] == first["quality"], first["name"]
        assert resumed["energy_j"] == first["energy_j"], first["name"]


def test_the_classifier_metric_scores_a_dtm_as_the_cli_does(cli, tiny_compare, tmp_path):
    out, cache, _, _ = tiny_compare
    metric = tsu.classifier_metric("tiny", cache=str(cache))  # trained by compare: loaded, not retrained
    assert metric.path.startswith(str(cache)) and 0.5 < metric.test_accuracy <= 1
    scored = tsu.dtm_eval(str(out / "dtm"), n=100, seed=4, metric=metric)
    pixel = tsu.dtm_eval(str(out / "dtm"), n=100, seed=4)
    assert scored["metric"] == "fd_classifier" and pixel["metric"] == "fd_pixel"
    subprocess.run([str(cli), "dtm", "eval", "--model", str(out / "dtm"), "--n", "100", "--seed", "4", "--classifier",
                    "tiny", "--cache", str(cache), "--out", str(tmp_path / "eval.json"), "--quiet"], check=True)
    assert json.loads((tmp_path / "eval.json").read_text()) == scored


def test_neural_errors_carry_the_cli_message(tmp_path):
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        tsu.compare(str(tmp_path / "c"), scale="huge")
    with pytest.raises(ValueError, match="must be a multiple of 10"):
        tsu.compare(str(tmp_path / "c"), scale="tiny", samples=15)
    with pytest.raises(ValueError, match="--extra 'x.npy': expected NAME=SAMPLES.npy:FLOPS:BYTES"):
        tsu.compare(str(tmp_path / "c"), scale="tiny", extras=["x.npy"])
    with pytest.raises(ValueError, match='generator family "nerf": unknown'):
        tsu.compare(str(tmp_path / "c"), scale="tiny", families=["vae", "nerf"])  # before anything trains
    assert not (tmp_path / "c" / "dtm").exists()


def test_dtm_coverage_returns_what_it_writes_and_matches_the_cli(cli, tiny_compare, tmp_path):
    out, cache, _, _ = tiny_compare
    args = dict(classifier="tiny", cache=str(cache), samples=100, sweeps=[10, 40], mode_chains=0, seed=3, threads=2)
    report = tsu.dtm_coverage(str(out / "dtm"), str(tmp_path / "py"), beta_start=1.0, beta_end=1.0, **args)
    assert report == json.loads((tmp_path / "py" / "coverage.json").read_text())
    assert report["beta"] == {"start": 1.0, "end": 1.0}
    assert [row["sweeps"] for row in report["sweeps"]] == [10, 40]
    for row in report["sweeps"]:
        assert 0 <= row["free"]["class_imbalance"] <= 0.9 and len(row["free"]["classes"]) == 10
    subprocess.run([str(cli), "dtm", "coverage", "--model", str(out / "dtm"), "--out", str(tmp_path / "cli"),
                    "--classifier", "tiny", "--cache", str(cache), "--n", "100", "--sweeps", "10", "40",
                    "--mode-chains", "0", "--seed", "3", "--threads", "2", "--beta-start", "1", "--beta-end", "1",
                    "--quiet"], check=True)
    cli_report = json.loads((tmp_path / "cli" / "coverage.json").read_text())
    assert cli_report["sweeps"] == report["sweeps"]
    with pytest.raises(ValueError, match="beta"):
        tsu.dtm_coverage(str(out / "dtm"), str(tmp_path / "bad"), beta_start=-1.0, **args)

"""mia_edu.text: the generated corpus, the char-level LM, the sequence scores and exposure (notebook 11).

Known answers on hand-made token probabilities for every score; the corpus pinned by a hash; the
exposure tree checked against brute force; null cases at chance within the null spread; one small
model that memorises, so the attacks and exposure are seen to work."""

from __future__ import annotations

import hashlib
import json
import zlib

import numpy as np
import pytest
import torch

from mia_edu import metrics
from mia_edu.__main__ import main
from mia_edu.attacks import AttackResult
from mia_edu.text.blind import blind_scores
from mia_edu.text.corpus import Canary, make_canaries, make_lm_corpus, make_records
from mia_edu.text.experiment import ATTACKS, lm_experiment, sequence_scores
from mia_edu.text.model import LMConfig, encode, fit_lm, train_lm, train_lm_many
from mia_edu.text.secret_sharer import candidate_log_perplexities, exposure, exposure_from_rank
from mia_edu.text.signals import (
    loss_score,
    min_k_pp_score,
    min_k_score,
    perplexity,
    reference_score,
    zlib_entropy,
    zlib_score,
)
from mia_edu.training.many import run_jobs

LN2 = np.log(2.0)
TINY = LMConfig(epochs=2, hidden=16, embed=8, batch_size=64)


# ---- the corpus ----------------------------------------------------------------------------------
def test_default_corpus_is_pinned():
    """Same seed, same text, on every machine and Python version: the default corpus's SHA-256."""
    c = make_lm_corpus()
    blob = "\n".join(c.training_texts + list(c.non_members) + list(c.shifted) + list(c.reference)).encode()
    assert hashlib.sha256(blob).hexdigest() == "207f1eb71ae8ae29f5e60525cc0e00eaedd477262a1b68dfec9f113fde2d0faf"
    assert c.members[0] == make_lm_corpus().members[0]
    assert make_records(3, seed=1) != make_records(3, seed=2)


def test_corpus_parts_are_disjoint_draws_with_the_promised_shape():
    c = make_lm_corpus(100, 200, n_shifted=150, insertions=(0, 3), canaries_per_count=2)
    assert (len(c.members), len(c.non_members), len(c.shifted), len(c.reference)) == (100, 200, 150, 200)
    assert [k.insertions for k in c.canaries] == [0, 0, 3, 3]
    assert len(c.training_texts) == 100 + 6 and c.training_texts.count(c.canaries[2].text) == 3
    assert not set(c.members) & set(c.non_members)  # one pool split in two
    years = {int(t[-11:-7]) for t in c.shifted}
    assert min(years) >= 2022 and max(int(t[-11:-7]) for t in c.members + c.non_members) <= 2019
    texts, m = c.candidates(shifted=True)
    assert len(texts) == 250 and m.sum() == 100
    # changing one part's size leaves the others' text alone (each part has its own child seed)
    assert make_lm_corpus(100, 200, n_shifted=10).reference == c.reference


def test_canaries_and_records_are_valid_and_encodable():
    canaries = make_canaries((1, 2), seed=3)
    assert all(len(k.secret) == 5 and k.secret.isdigit() and k.text.startswith("The PIN of ") for k in canaries)
    tokens = encode([k.text for k in canaries] + make_records(5))
    assert tokens.shape[0] == 7 and tokens[0, 0] == 1 and (tokens[0] == 2).sum() == 1
    with pytest.raises(ValueError, match="character"):
        encode(["naïve"])
    with pytest.raises(ValueError, match="empty"):
        encode([])
    with pytest.raises(TypeError, match="list of strings"):
        encode("just one")
    with pytest.raises(ValueError, match="years"):
        make_records(3, years=(2020, 2010))


# ---- sequence scores on hand-made token probabilities --------------------------------------------
def test_loss_and_perplexity_known_answers():
    logp = np.log([[0.5, 0.25, np.nan], [0.5, 0.5, 0.5]])
    np.testing.assert_allclose(loss_score(logp), [-1.5 * LN2, -LN2])
    np.testing.assert_allclose(perplexity(logp), [2 ** 1.5, 2.0])
    with pytest.raises(ValueError, match="non-NaN"):
        loss_score([[np.nan, np.nan]])
    with pytest.raises(ValueError, match="infinite"):
        loss_score([[0.0, -np.inf]])


def test_min_k_known_answers():
    logp = np.log([[0.1, 0.9, 0.5, 0.2], [0.4, 0.8, np.nan, np.nan]])
    # k = 0.5: the 2 lowest of 4 tokens; the 1 lowest of 2
    np.testing.assert_allclose(min_k_score(logp, 0.5), [np.log(0.1 * 0.2) / 2, np.log(0.4)])
    np.testing.assert_allclose(min_k_score(logp, 1.0), loss_score(logp))  # k = 100 % is the mean
    np.testing.assert_allclose(min_k_score(logp, 0.01), [np.log(0.1), np.log(0.4)])  # at least one token
    with pytest.raises(ValueError, match="k must lie"):
        min_k_score(logp, 0.0)


def test_min_k_pp_known_answer():
    """Next-token distribution (1/2, 1/4, 1/4): mean of log p = −1.5 ln 2, std = ln 2 / 2, so the likely
    token (p = 1/2) standardises to +1 and an unlikely one (1/4) to −1."""
    p = np.array([0.5, 0.25, 0.25])
    mu = np.sum(p * np.log(p))
    sd = np.sqrt(np.sum(p * np.log(p) ** 2) - mu ** 2)
    np.testing.assert_allclose([mu, sd], [-1.5 * LN2, LN2 / 2])
    logp = np.log([[0.5, 0.25]])
    mean, std = np.full((1, 2), mu), np.full((1, 2), sd)
    np.testing.assert_allclose(min_k_pp_score(logp, mean, std, 0.5), [-1.0])
    np.testing.assert_allclose(min_k_pp_score(logp, mean, std, 1.0), [0.0], atol=1e-12)
    # a certain next token (std 0) contributes 0, whatever its log-probability
    np.testing.assert_allclose(min_k_pp_score([[0.0, np.log(0.25)]], [[0.0, mu]], [[0.0, sd]], 1.0), [-0.5], atol=1e-12)
    with pytest.raises(ValueError, match="one shape"):
        min_k_pp_score(logp, mean[:, :1], std, 0.5)


def test_zlib_and_reference_known_answers():
    texts = ["aaaaaaaaaaaaaaaaaaaa", "Uma Okafor, born 1958"]
    z = zlib_entropy(texts)
    np.testing.assert_array_equal(z, [len(zlib.compress(t.encode(), 9)) for t in texts])
    assert z[0] < z[1]  # a repetitive text compresses
    logp = np.log([[0.5, 0.5], [0.25, 0.25]])
    np.testing.assert_allclose(zlib_score(logp, texts), [-LN2 / z[0], -2 * LN2 / z[1]])
    np.testing.assert_allclose(reference_score([1.0, 2.0], [[2.0, 2.0], [4.0, 2.0]]), [2.0, 0.0])
    with pytest.raises(ValueError, match="references × texts"):
        reference_score([1.0, 2.0], [[1.0, 2.0, 3.0]])


def test_exposure_from_rank():
    assert exposure_from_rank(1, 10 ** 5) == pytest.approx(np.log2(1e5))
    assert exposure_from_rank(10 ** 5, 10 ** 5) == 0.0
    assert exposure_from_rank(1024, 2 ** 20) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="rank"):
        exposure_from_rank(0, 10)


# ---- the model -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_lm():
    return train_lm(TINY, make_records(64, seed=5))


def test_token_stats_match_a_direct_forward_pass(tiny_lm):
    texts = ["Ada Berg, born 1962.", "Xu"]
    st = tiny_lm.token_stats(texts)
    tokens = torch.from_numpy(encode(texts))
    with torch.no_grad():
        lp = torch.log_softmax(tiny_lm.module(tokens[:, :-1])[0].double(), -1)
    assert st.lengths.tolist() == [len(texts[0]) + 1, 3]  # characters + end token
    direct = lp[1, :3].gather(-1, tokens[1, 1:4, None]).squeeze(-1).numpy()
    np.testing.assert_allclose(st.logp[1, :3], direct, rtol=1e-6)
    assert np.isnan(st.logp[1, 3:]).all()
    p = lp[0, 0].exp().numpy()
    np.testing.assert_allclose(st.mean[0, 0], np.sum(p * lp[0, 0].numpy()), rtol=1e-6)


def test_exposure_tree_matches_brute_force(tiny_lm):
    """The level-by-level tree gives every 2-digit secret the log-perplexity of a direct pass."""
    prefix = "The PIN of Ada Berg is "
    tree = candidate_log_perplexities(tiny_lm, prefix, 2)
    st = tiny_lm.token_stats([prefix + f"{i:02d}" for i in range(100)])
    n = len(prefix)
    brute = -(st.logp[:, n] + st.logp[:, n + 1]) / LN2
    np.testing.assert_allclose(tree, brute, rtol=1e-5)
    assert np.sum(2.0 ** -tree) <= 1 + 1e-9  # probabilities of disjoint continuations
    rank = 1 + int(np.sum(tree < tree[37]))
    assert exposure(tiny_lm, Canary(prefix, "37", 1)) == pytest.approx(np.log2(100) - np.log2(rank))


def test_cache_checkpoints_and_routes_give_the_same_weights(tiny_lm):
    again = train_lm(TINY, make_records(64, seed=5))
    assert again.from_cache
    for a, b in zip(tiny_lm.module.state_dict().values(), again.module.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # a checkpoint after epoch 1 is the model trained for 1 epoch
    cfg = TINY.replace(epochs=3)
    tokens = encode(make_records(64, seed=5))
    full = train_lm(cfg, make_records(64, seed=5), checkpoints=(1,), use_cache=False)
    one, _, _ = fit_lm(cfg.replace(epochs=1), tokens)
    for a, b in zip(full.at_epoch(1).module.state_dict().values(), one.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(ValueError, match="checkpoints"):
        full.at_epoch(2)
    # checkpoints survive the disk cache
    stored = train_lm(cfg, make_records(64, seed=5), checkpoints=(1, 2))
    loaded = train_lm(cfg, make_records(64, seed=5), checkpoints=(1, 2))
    assert loaded.from_cache and loaded.checkpoints == (1, 2) and not stored.from_cache
    for e in (1, 2):
        for a, b in zip(stored.at_epoch(e).module.state_dict().values(), loaded.at_epoch(e).module.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert loaded.history["cpu_seconds"][0] > 0
    # two references in worker processes = the same two trained one after the other
    jobs_texts = [make_records(40, seed=s) for s in (1, 2)]
    par = train_lm_many(TINY, jobs_texts, use_cache=False, progress=False)
    for k, texts in enumerate(jobs_texts):
        m, _, _ = fit_lm(TINY.replace(seed=par[k].config.seed), encode(texts))
        for a, b in zip(par[k].module.state_dict().values(), m.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_references_inside_a_joblib_backend_context_are_the_same_models():
    """train_lm_many goes through train_many's joblib routing: a backend context gets the tasks."""
    import joblib

    texts = [make_records(40, seed=s) for s in (1, 2)]
    default = train_lm_many(TINY, texts, use_cache=False, progress=False)
    with joblib.parallel_backend("threading", n_jobs=2):
        threaded = train_lm_many(TINY, texts, use_cache=False, progress=False)
    for a, b in zip(default, threaded):
        for x, y in zip(a.module.state_dict().values(), b.module.state_dict().values()):
            torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_config_and_argument_errors():
    with pytest.raises(ValueError, match="lr"):
        LMConfig(lr=0)
    with pytest.raises(TypeError, match="epochs"):
        LMConfig(epochs=2.5)
    with pytest.raises(ValueError, match="dropout"):
        LMConfig(dropout=1.0)
    with pytest.raises(TypeError, match="LMConfig"):
        train_lm({"epochs": 3}, ["a"])
    with pytest.raises(ValueError, match="route"):
        run_jobs(print, [], route="batched")


# ---- null cases: same generator, (almost) untrained model → chance -------------------------------
def test_attacks_are_at_chance_on_an_untrained_model_and_a_random_split():
    c = make_lm_corpus(300, 300, seed=4)
    texts, m = c.candidates()
    lm = train_lm(LMConfig(epochs=1, hidden=16, embed=8, batch_size=300), c.members)  # one step: no memory
    ref = train_lm(LMConfig(epochs=1, hidden=16, embed=8, batch_size=300, seed=1), c.reference[:300])
    scores = sequence_scores(lm.token_stats(texts), texts, reference_losses=ref.loss(texts)[None])
    scores["blind"] = blind_scores(texts, m)
    spread = metrics.auc_null_std(300, 300)
    for name, s in scores.items():
        assert abs(metrics.roc_auc(s, m) - 0.5) < 3.5 * spread, name


# ---- a small model memorises: the attacks and exposure see it ------------------------------------
def test_a_small_model_memorises_and_the_attacks_and_exposure_see_it():
    c = make_lm_corpus(60, 300, n_shifted=300, insertions=(0, 8), seed=2)
    report = lm_experiment(LMConfig(epochs=30, hidden=64, batch_size=32), corpus=c, n_references=1, progress=False)
    spread = metrics.auc_null_std(60, 300)
    assert set(report.results) == set(ATTACKS)
    assert all(isinstance(r, AttackResult) for r in report.results.values())
    for name in ("loss", "zlib", "min_k", "min_k_pp", "reference"):
        assert report.results[name].auc > 0.5 + 5 * spread, name
    assert abs(report.results["blind"].auc - 0.5) < 3.5 * spread  # the split is proper
    assert report.shifted["blind_shifted"].auc > 0.95  # the shifted split is not
    ex = {row["insertions"]: row["exposure"] for row in report.exposure}
    assert ex[8] > 10 > ex[0]
    d = report.to_dict()
    assert {"loss", "zlib", "min_k", "min_k_pp", "reference", "blind", "blind_shifted", "exposure",
            "train_seconds"} <= set(d)
    assert d["train_seconds"] > 0 and set(d["loss"]) == {"auc", "tpr_at_1%", "tpr_at_0.1%"}


def test_cli_json_last_line(capsys):
    assert main(["lm", "--epochs", "1", "--hidden", "8", "--references", "1", "--json", "--no-progress"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    d = json.loads(last)
    for key in ("loss", "zlib", "min_k", "min_k_pp", "reference", "blind", "blind_shifted"):
        assert set(d[key]) == {"auc", "tpr_at_1%", "tpr_at_0.1%"}, key
    assert [row["insertions"] for row in d["exposure"]] == [0, 1, 2, 4, 8, 16]
    assert d["train_seconds"] > 0


def test_text_figures_have_labels_and_the_promised_axes():
    from mia_edu import plots

    fig = plots.exposure_figure({"target": ([0, 1, 4], [0.2, 5.0, 16.6])}, n_candidates=10 ** 5)
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog" and ax.get_xlabel() and ax.get_ylabel()
    assert any(np.allclose(line.get_ydata(), np.log2(1e5)) for line in ax.lines)  # the maximum drawn
    fig = plots.token_loss_figure({"member": "Ada", "non-member": "Xu"},
                                  {"member": np.array([0.1, 0.2, 0.3, 0.4]), "non-member": np.array([1.0, 2.0, 0.5])})
    assert len(fig.axes) == 2 and [len(a.patches) for a in fig.axes] == [4, 3]  # characters + end
    assert "0.25" in fig.axes[0].get_title(loc="left")


def test_package_names_resolve_lazily_to_the_functions():
    """``from mia_edu.text import X`` gives the function whatever was imported before (no submodule
    shadows a public name), and the ``lm`` command's parser does not import torch or scikit-learn."""
    import subprocess
    import sys

    import mia_edu.text as text

    for name in text.__all__:
        obj = getattr(text, name)
        assert not isinstance(obj, type(text)), f"mia_edu.text.{name} is a module"
    # The lm command's own parser; other commands' parsers (audit, defend) read their choices from
    # modules that import torch, which costs ~2 s at start-up but is not this module's concern.
    code = ("import argparse, sys; from mia_edu.text import cli; "
            "cli.add_parser(argparse.ArgumentParser().add_subparsers()); "
            "print('torch' in sys.modules, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]

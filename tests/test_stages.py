"""Stages declared once: the runner's keys follow the declarations, so an edited resource or
an edited stage re-runs that stage (and what its changed outputs feed), never less, and a warm
rerun equals a cold run byte for byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline import catalog, compare, runner
from pipeline.__main__ import main
from pipeline.config import RESOURCE_FILES, ROOT, resource_files
from pipeline.errors import PipelineError
from pipeline.stages import STAGES, run

pytestmark = pytest.mark.slow  # runs the pipeline, the notebooks or reads the shared corpora

SEEDS = ["000_5fcd6df6dad751d5.txt", "002_64762f88fb4236a6.txt"]
OUTPUTS = [a for s in STAGES for a in s.outputs]


@pytest.fixture()
def small(tmp_path, params):
    """Two seed reports and parameters whose resources are private copies (so a test can edit them),
    with a small label file so the classifier trains in a second."""
    corpus = tmp_path / "corpus" / "raw"
    corpus.mkdir(parents=True)
    for name in SEEDS:
        shutil.copy(ROOT / "corpus" / "raw" / name, corpus / name)
    res = tmp_path / "res"
    res.mkdir()
    p = {k: (dict(v) if isinstance(v, dict) else v) for k, v in params.items()}
    p["n_jobs"] = 1
    for name in ("cleaning_rules", "genres", "block_phrases", "userdict", "codebook", "audit_rules"):
        section, key = RESOURCE_FILES[name][0].split(".")
        src = resource_files(name, params)[0]
        shutil.copy(src, res / src.name)
        p[section][key] = str(res / src.name)
    gaz = res / "gazetteer"
    gaz.mkdir()
    for f in resource_files("gazetteer", params):
        shutil.copy(f, gaz / f.name)
    p["places"]["gazetteer"] = str(gaz / "adcodes.csv")
    labels = (ROOT / "pipeline/resources/training/sentences.csv").read_text(encoding="utf-8").splitlines()
    (res / "labels.csv").write_text("\n".join(labels[:1] + labels[1:121]) + "\n", encoding="utf-8")
    p["themes"]["labels"] = [str(res / "labels.csv")]
    return tmp_path / "corpus", p, res


def _outputs(out: Path) -> dict[str, bytes]:
    from pipeline import catalog

    return {a: catalog.artifact_path(out, a).read_bytes() for a in OUTPUTS}


def _reran(results: dict) -> list[str]:
    return [name for name, r in results.items() if not r.get("up_to_date")]


EDITS = [  # resource, file to edit (relative to the private resource folder), edit, first stage it affects
    ("cleaning_rules", "cleaning.yaml", lambda s: s + "\n# edited\n", "ingest"),
    ("genres", "genres.yaml", lambda s: s + "\n# edited\n", "ingest"),
    ("block_phrases", "place_block_phrases.txt", lambda s: s + "\n青岛市南\n", "ingest"),
    (
        "gazetteer",
        "gazetteer/adcodes.csv",
        lambda s: "\n".join(line for line in s.splitlines() if "市南区" not in line) + "\n",
        "ingest",
    ),
    ("audit_rules", "audit.yaml", lambda s: s.replace("short_share: 0.35", "short_share: 0.4"), "ingest"),
    ("userdict", "userdict.txt", lambda s: s.rstrip("\n") + "\n区域化党建 20 n\n", "segment"),
    ("codebook", "codebook.yaml", lambda s: s.replace("version: 1", "version: 2", 1), "themes"),
    ("labels", "labels.csv", lambda s: s.replace(",none,A", ",measure,A", 1), "themes"),
]


@pytest.mark.parametrize("resource, file, edit, first", EDITS, ids=[e[0] for e in EDITS])
def test_edited_resource_reruns_its_stage_and_equals_a_cold_run(small, tmp_path, resource, file, edit, first):
    corpus, p, res = small
    assert any(resource in s.resources for s in STAGES), f"no stage declares {resource}"
    warm = tmp_path / "warm"
    run(corpus, warm, p, use_manifest=False)
    assert _reran(run(corpus, warm, p, use_manifest=False)) == []  # nothing changed: nothing runs
    target = res / file
    target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    again = run(corpus, warm, p, use_manifest=False)
    order = [s.name for s in STAGES]
    before = order[: order.index(first)]
    assert first in _reran(again), f"editing {resource} did not re-run {first}"
    assert not set(before) & set(_reran(again)), f"editing {resource} re-ran stages before {first}"
    cold = tmp_path / "cold"
    run(corpus, cold, p, use_manifest=False)
    assert _outputs(warm) == _outputs(cold)


@pytest.mark.parametrize(
    "stage, package, module",
    [("ingest", "ingest", "clean.py"), ("segment", "segment", "structure.py"), ("themes", "themes", "rules.py")],
)
def test_code_edit_reruns_only_its_stage(small, tmp_path, monkeypatch, stage, package, module):
    """An edit to one stage's code re-runs that stage and none before it; a later stage runs again only if
    the tables it reads changed (here they come out the same, so it stays up to date)."""
    corpus, p, _ = small
    out = tmp_path / "out"
    run(corpus, out, p, use_manifest=False)
    real = runner.source_hash

    def edited(path: Path) -> str:
        return real(path) + ("edited" if package in path.parts and path.name == module else "")

    monkeypatch.setattr(runner, "source_hash", edited)
    runner._module_files.cache_clear()
    again = run(corpus, out, p, use_manifest=False)
    assert _reran(again) == [stage]


def test_comments_do_not_change_a_stage_version(tmp_path):
    src = (ROOT / "pipeline" / "segment" / "structure.py").read_text(encoding="utf-8")
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(src, encoding="utf-8")
    b.write_text("# a new comment\n" + src.replace("\n\n\n", "\n\n\n# another\n", 1), encoding="utf-8")
    assert runner.source_hash(a) == runner.source_hash(b)
    b.write_text(src.replace("lead_max: int = 60", "lead_max: int = 61"), encoding="utf-8")
    assert runner.source_hash(a) != runner.source_hash(b)


def test_declared_code_covers_what_a_stage_imports():
    """Every module of the package that a stage's code imports is inside its declared code,
    so an edit there changes the stage's version (catalog, config, errors and executor do no text work)."""
    import ast

    exempt = {"pipeline.catalog", "pipeline.config", "pipeline.errors", "pipeline.executor"}
    for stage in STAGES:
        files = {f for m in stage.code for f in runner._module_files(m)}
        declared = {
            f.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__") for f in files
        }
        for f in files:
            tree = ast.parse(f.read_text(encoding="utf-8"))
            pkg = f.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".").rsplit(".", 1)[0]
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level:
                    base = pkg.rsplit(".", node.level - 1)[0] if node.level > 1 else pkg
                    target = f"{base}.{node.module}" if node.module else base
                    if target in exempt or any(target == d or target.startswith(d + ".") for d in declared):
                        continue
                    assert any(d.startswith(target) for d in declared), (
                        f"{stage.name}: {f.name} imports {target}, not in its declared code {stage.code}"
                    )


def test_from_until_and_graph(small, tmp_path, capsys):
    corpus, p, _ = small
    out = tmp_path / "out"
    res = run(corpus, out, p, use_manifest=False, until="segment")
    assert list(res) == ["ingest", "segment"]
    res = run(corpus, out, p, use_manifest=False, start="segment")
    assert list(res) == ["segment", "themes"] and not res["segment"].get("up_to_date")
    with pytest.raises(PipelineError, match="unknown stage"):
        run(corpus, out, p, use_manifest=False, until="topics")
    assert main(["graph"]) == 0
    text = capsys.readouterr().out
    for s in STAGES:
        assert s.name in text and ", ".join(s.outputs) in text


def test_prune_keeps_what_the_last_run_used(small, tmp_path):
    corpus, p, res = small
    out = tmp_path / "out"
    run(corpus, out, p, use_manifest=False)
    u = res / "userdict.txt"
    u.write_text(u.read_text(encoding="utf-8").rstrip("\n") + "\n区域化党建 20 n\n", encoding="utf-8")
    run(corpus, out, p, use_manifest=False)
    tokens = out / "cache" / "tokens"
    assert len(list(tokens.glob("*"))) == 2 * len(SEEDS)  # the old dictionary's entries are still there
    removed = runner.prune(STAGES, out)
    from pipeline import catalog

    assert list(catalog.model_store().glob("*.joblib")), "the classifier lives in the model store, not the output"
    assert removed["tokens"] == len(SEEDS) and len(list(tokens.glob("*"))) == len(SEEDS)
    again = run(corpus, out, p, use_manifest=False)
    assert _reran(again) == []


def test_only_the_projects_errors_are_one_line(tmp_path, capsys):
    assert main(["segment", "--out", str(tmp_path / "nothing")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_notebooks_read_the_stopwords_and_codebook_of_the_run(small, tmp_path):
    """The term statistics leave out the run's stopword list (edited after the run: the edit counts)
    and theme labels come from the run's codebook, not the shipped files."""
    from pipeline.report.notebook import setup

    corpus, p, res = small
    stop = res / "stopwords.txt"
    shutil.copy(resource_files("stopwords", p)[0], stop)
    p["segment"]["stopwords"] = str(stop)
    cb = res / "codebook.yaml"
    cb.write_text(cb.read_text(encoding="utf-8").replace("label_en: Problems", "label_en: Shortcomings"), "utf-8")
    out = tmp_path / "out"
    run(corpus, out, p, use_manifest=False)
    assert str(stop) in json.loads((out / "run.json").read_text(encoding="utf-8"))["resources"]["stopwords"]

    def top_term() -> tuple[str, set]:
        ctx = setup(out, tmp_path / "figs")
        counts = ctx.term_counts(ctx.stopwords).sum()
        return str(counts.idxmax()), {t.label_en for t in ctx.codebook.themes.values()}

    term, labels = top_term()
    assert "Shortcomings" in labels
    stop.write_text(stop.read_text(encoding="utf-8") + f"\n{term}\n", encoding="utf-8")
    assert top_term()[0] != term


def test_the_classifier_is_trained_once_per_user_not_per_output_folder(small, tmp_path, monkeypatch):
    """A second output folder (another corpus) finds the classifier its labels, lexicon and seed made in the
    model store and does not train; editing an extraction rule does not retrain either; new labels do."""
    from pipeline import catalog
    from pipeline.themes import classifier

    corpus, p, res = small
    monkeypatch.setenv("PIPELINE_MODEL_STORE", str(tmp_path / "store"))
    fits = []
    real = classifier.train
    monkeypatch.setattr(classifier, "train", lambda *a, **k: fits.append(1) or real(*a, **k))
    run(corpus, tmp_path / "a", p, use_manifest=False)
    assert len(fits) == 1 and len(list(catalog.model_store().glob("*.joblib"))) == 1
    other = tmp_path / "other"
    (other / "raw").mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "raw" / f"{SEEDS[0]}", other / "raw" / "x.txt")
    run(other, tmp_path / "b", p, use_manifest=False)
    assert len(fits) == 1
    a = (tmp_path / "a" / "data" / "classifier_metrics.csv").read_bytes()
    assert (tmp_path / "b" / "data" / "classifier_metrics.csv").read_bytes() == a
    labels = res / "labels.csv"
    labels.write_text(labels.read_text(encoding="utf-8").replace(",none,A", ",measure,A", 1), encoding="utf-8")
    run(corpus, tmp_path / "c", p, use_manifest=False)
    assert len(fits) == 2


def test_the_shipped_classifier_is_the_one_for_the_packaged_labels(params, tmp_path):
    """The package ships the classifier its own labels, lexicon and code make (``make model`` writes it): when
    one of those changes, this fails until the model is trained again."""
    from pipeline.stages import model_key, shipped_model_path, stage_context
    from pipeline.themes.codebook import load_codebook

    ctx = stage_context("themes", tmp_path, params)
    key = model_key(ctx, load_codebook(ctx.resource("codebook")), list(resource_files("labels", params)))
    assert shipped_model_path(key).exists(), "the shipped classifier is stale: run `make model` and commit it"


def test_the_scorer_gives_the_classifiers_probabilities_to_the_last_bit(params, tmp_path):
    """The workers score sentences with the classifier's arrays (:class:`Scorer`), not scikit-learn: on the
    labelled sentences and on every sentence of two seed reports its probabilities equal the fitted pipeline's
    bit for bit, and the scorer shipped beside the model is the model's own."""
    import numpy as np

    from pipeline.stages import model_key, shipped_model_path, stage_context
    from pipeline.themes.classifier import Scorer, ScorerBytes
    from pipeline.themes.codebook import load_codebook
    from pipeline.themes.rules import _predict

    ctx = stage_context("themes", tmp_path, params)
    key = model_key(ctx, load_codebook(ctx.resource("codebook")), list(resource_files("labels", params)))
    model = catalog.ModelBytes(shipped_model_path(key).read_bytes()).load()
    shipped = shipped_model_path(key).with_name(f"{key}.scorer.npz").read_bytes()
    assert Scorer.to_bytes(Scorer.arrays(model)) == shipped
    lexicon = str(ctx.resource("userdict"))
    texts = pd.read_csv(ROOT / "pipeline/resources/training/sentences.csv", dtype=str).text.tolist()
    for name in SEEDS:
        texts += (ROOT / "corpus" / "raw" / name).read_text(encoding="utf-8").split("。")
    want = _predict(model, texts)
    got = _predict(ScorerBytes(shipped).load(lexicon), texts)
    assert list(got.columns) == list(want.columns) and len(got) == len(texts) > 800
    assert np.array_equal(got.to_numpy(), want.to_numpy())


def test_the_themes_workers_never_import_scikit_learn(tmp_path):
    """A run with the packaged labels scores sentences without importing scikit-learn in any process (it costs
    each worker more than a second and some 65 MB)."""
    import subprocess
    import sys

    corpus = tmp_path / "c" / "raw"
    corpus.mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "raw" / SEEDS[0], corpus / "x.txt")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pipeline.config import load_params\n"
        "from pipeline.stages import run\n"
        "p = load_params(); p['n_jobs'] = 1\n"
        f"r = run(Path({str(corpus.parent)!r}), Path({str(tmp_path / 'out')!r}), p, use_manifest=False)\n"
        "print('items', r['themes']['items'], 'sklearn', 'sklearn' in sys.modules)\n"
    )
    env = {**__import__("os").environ, "PIPELINE_MODEL_STORE": str(tmp_path / "store")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1].split()
    assert int(line[1]) > 10 and line[3] == "False", done.stdout


def test_a_scorer_not_made_by_this_installation_is_made_again(small, tmp_path, monkeypatch, capsys):
    """The scorer kept in the model store carries the installation's signature like the model: a scorer edited
    in the store is set aside with a message and made again from the model, and the items do not change."""
    corpus, p, _ = small
    monkeypatch.setenv("PIPELINE_MODEL_STORE", str(tmp_path / "store"))
    run(corpus, tmp_path / "a", p, use_manifest=False)
    (scorer,) = catalog.model_store().glob("*.scorer.npz")
    good = scorer.read_bytes()
    scorer.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    capsys.readouterr()
    run(corpus, tmp_path / "b", p, use_manifest=False)
    assert "not written by this installation" in capsys.readouterr().err
    assert scorer.read_bytes() == good
    assert catalog.read_artifact(tmp_path / "b", "themes").equals(catalog.read_artifact(tmp_path / "a", "themes"))


def test_a_new_user_with_the_packaged_labels_never_trains(params, tmp_path, monkeypatch):
    """An empty model store (a new user, a new machine) and the packaged labels: the run uses the shipped
    classifier, and reports its cross-validated metrics, without fitting anything."""
    from pipeline.themes import classifier

    monkeypatch.setenv("PIPELINE_MODEL_STORE", str(tmp_path / "empty-store"))

    def refuse(*a, **k):
        raise AssertionError("trained a classifier although the package ships one for these labels")

    monkeypatch.setattr(classifier, "train", refuse)
    monkeypatch.setattr(classifier, "cross_validate", refuse)
    corpus = tmp_path / "c"
    (corpus / "raw").mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "raw" / SEEDS[0], corpus / "raw" / "x.txt")
    run(corpus, tmp_path / "out", params, use_manifest=False)
    metrics = pd.read_csv(tmp_path / "out" / "data" / "classifier_metrics.csv", encoding="utf-8-sig")
    assert metrics.labelled_sentences.iloc[0] > 500 and "macro" in set(metrics.label)


def test_term_counts_read_in_pieces_equal_the_whole_table(small, tmp_path):
    """The notebooks count terms a slice of the tokens table at a time (a national corpus's tokens never fit in
    memory): the counts per document and per city equal those of the whole table, whatever the slice."""
    from pipeline.report.notebook import setup

    corpus, p, _ = small
    out = tmp_path / "out"
    run(corpus, out, p, use_manifest=False)
    ctx = setup(out, tmp_path / "figs")
    for group in (None, ctx.groups()):
        whole = compare.term_counts(ctx.tokens, ctx.term_stopwords(), group)
        assert len(whole.columns) > 500
        for rows in (997, 10_000_000):
            assert ctx.term_counts(group=group, rows=rows).equals(whole)
    # documents × terms kept sparse for a large corpus: the same counts, and the same TF-IDF keywords
    dense, sparse = ctx.term_counts(), ctx.term_counts(rows=997, sparse=True)
    assert all(isinstance(d, pd.SparseDtype) for d in sparse.dtypes)
    assert sparse.sparse.to_dense().astype("int64").equals(dense)
    assert compare.tfidf_keywords(sparse, 10).equals(compare.tfidf_keywords(dense, 10))
    # nor do the documents' texts: the context holds metadata, and reads a text when a concordance quotes it
    assert "text" not in ctx.documents.columns and "text_original" not in ctx.documents.columns
    full = catalog.read_artifact(out, "documents").set_index("doc_id").text
    some = sorted(ctx.documents.doc_id)[:2]
    assert ctx.texts(some) == full.loc[some].to_dict()


def test_tables_are_written_a_batch_of_documents_at_a_time(tmp_path, params):
    """batch_documents sets how many documents a stage holds at once: each batch is one row group of every table;
    what the tables hold does not depend on it (the CSV tables are the same bytes)."""
    import pyarrow.parquet as pq

    corpus = tmp_path / "c" / "raw"
    corpus.mkdir(parents=True)
    for name in sorted((ROOT / "corpus" / "raw").glob("*.txt")):
        shutil.copy(name, corpus / name.name)
    n_docs = len(list(corpus.iterdir()))
    outs = {}
    for batch in (2, 64):
        p = {**params, "batch_documents": batch}
        outs[batch] = tmp_path / f"out{batch}"
        run(tmp_path / "c", outs[batch], p, use_manifest=False)
        for table in ("documents", "sentences", "tokens", "themes"):
            groups = pq.ParquetFile(outs[batch] / "data" / f"{table}.parquet").num_row_groups
            assert groups == -(-n_docs // batch), (table, batch, groups)
    for table in ("documents", "sentences", "tokens", "themes"):
        a, b = (pd.read_parquet(outs[k] / "data" / f"{table}.parquet") for k in (2, 64))
        pd.testing.assert_frame_equal(a, b)
    for rel in ("tables/theme_items.csv", "tables/theme_matrix.csv", "data/cleaning_report.csv"):
        assert (outs[2] / rel).read_bytes() == (outs[64] / rel).read_bytes(), rel


def test_a_worker_reads_only_the_row_groups_of_its_documents(tmp_path, params, monkeypatch):
    """The rows of a few documents come from the row groups that hold them, never the whole table."""
    import pyarrow.parquet as pq

    from pipeline import catalog

    corpus = tmp_path / "c" / "raw"
    corpus.mkdir(parents=True)
    for name in sorted((ROOT / "corpus" / "raw").glob("*.txt")):
        shutil.copy(name, corpus / name.name)
    out = tmp_path / "out"
    run(tmp_path / "c", out, {**params, "batch_documents": 1}, use_manifest=False)
    read: list[list[int]] = []
    real = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(
        pq.ParquetFile, "read_row_groups", lambda self, g, **k: read.append(list(g)) or real(self, g, **k)
    )
    tokens = pd.read_parquet(out / "data" / "tokens.parquet")
    doc = sorted(tokens.doc_id.unique())[2]
    rows = catalog.read_artifact_rows(out, "tokens", [doc], columns=["doc_id", "token", "start"])
    assert read == [[2]]
    expected = tokens[tokens.doc_id == doc][["doc_id", "token", "start"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), expected)

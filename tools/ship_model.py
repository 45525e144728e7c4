"""Train the sentence classifier for the packaged labels and ship it in pipeline/resources/models/.

    python tools/ship_model.py        (make model)

Run it after changing the training labels, the user dictionary, the classifier's code or scikit-learn's
version: the test suite fails while the shipped model is not the one for the packaged labels.  Older shipped
models are removed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    import joblib

    from pipeline import catalog
    from pipeline.config import load_params, resource_files
    from pipeline.stages import model_key, shipped_model_path, stage_context
    from pipeline.themes.classifier import Scorer, cross_validate, load_labels, train
    from pipeline.themes.codebook import load_codebook

    params = load_params()
    # the packaged labels only (not a researcher's corpus/labels)
    params["themes"]["labels"] = [x for x in params["themes"]["labels"] if x.startswith("pipeline/")]
    with tempfile.TemporaryDirectory() as tmp:
        ctx = stage_context("themes", Path(tmp), params)
        codebook = load_codebook(ctx.resource("codebook"))
        files = list(resource_files("labels", params))
        key = model_key(ctx, codebook, files)
        labels = load_labels(files, list(codebook.themes))
        lexicon = str(ctx.resource("userdict"))
        metrics = cross_validate(labels, lexicon, params["seed"], params["themes"]["cv_folds"])
        metrics.insert(0, "labelled_sentences", len(labels))
        model = train(labels, lexicon, params["seed"])
    target = shipped_model_path(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob("*"):
        if not old.name.startswith(key):
            old.unlink()
    with catalog.atomic_path(target) as tmp_path:
        joblib.dump(model, tmp_path, compress=3)
    catalog.write_table(metrics, target.with_name(f"{key}.metrics.csv"), bom=True)
    # the same classifier as arrays, for the workers (no scikit-learn to import; pipeline.themes.classifier.Scorer)
    arrays = Scorer.arrays(model)
    if arrays is not None:
        catalog.write_bytes(target.with_name(f"{key}.scorer.npz"), Scorer.to_bytes(arrays))
    print(f"{target.relative_to(ROOT)} ({target.stat().st_size / 1e6:.1f} MB), {len(labels)} labelled sentences")
    print(metrics.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

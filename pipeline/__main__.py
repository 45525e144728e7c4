"""Command line: ``python -m pipeline COMMAND``.

    run      every data stage on a corpus (what `make run` calls)
    ingest   read, clean and describe the documents → data/documents.parquet
    segment  sentences, structure and tokens → data/sentences.parquet, data/tokens.parquet
    themes   problems, mechanisms, carriers, measures → data/themes.parquet, tables/theme_*.csv
    train    cross-validate and train the sentence classifier on the labelled sentences
    label    export the sentences the classifier is least sure of, for a researcher to label
    evaluate extracted items against a hand-coded gold; agreement between two coders
    notebooks execute the notebook suite with papermill → outputs/notebooks/, outputs/figures/
    export   results.xlsx, LaTeX tables, the REFI-QDA project (.qdpx), the HTML report
    import-qdpx  a hand-edited .qdpx back into a gold and labels for evaluate/train
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import DEFAULT_CORPUS, DEFAULT_OUT, ParamError, load_params
from .stages import NothingRead


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder (documents in raw/ or the folder itself)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    p.add_argument("--params", type=Path, default=None, help="parameter file (default: params.yaml)")
    p.add_argument("--manifest", type=Path, default=None, help="manifest CSV (default: <corpus>/manifest.csv if present)")
    p.add_argument("--no-manifest", action="store_true", help="ignore any manifest: infer all metadata")
    p.add_argument("--strict", action="store_true", help="fail when any file cannot be read")


def _notebook_params(args) -> dict:
    import yaml
    out: dict = {}
    if args.file:
        out.update(yaml.safe_load(args.file.read_text(encoding="utf-8")) or {})
    if args.yaml:
        value = yaml.safe_load(args.yaml)
        if not isinstance(value, dict):
            raise ValueError(f"-y needs a YAML mapping, got: {args.yaml}")
        out.update(value)
    for item in args.param:
        if "=" not in item:
            raise ValueError(f"--param needs NAME=VALUE, got: {item}")
        name, value = item.split("=", 1)
        out[name.strip()] = yaml.safe_load(value)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run every data stage")
    _common(run_p)
    run_p.add_argument("--until", choices=["ingest", "segment", "themes"], default=None,
                       help="stop after this stage (default: run them all)")
    _common(sub.add_parser("ingest", help="read, clean and describe documents"))
    for name, text in (("segment", "sentences, structure and tokens of ingested documents"),
                       ("themes", "theme items from the segmented documents"),
                       ("train", "cross-validate and train the sentence classifier"),
                       ("label", "export the least certain sentences for labelling")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder of a run")
        sp.add_argument("--params", type=Path, default=None, help="parameter file (default: params.yaml)")
        if name == "label":
            sp.add_argument("--n", type=int, default=None, help="how many sentences (default: themes.label_batch)")
    nb = sub.add_parser("notebooks", help="execute the notebook suite with papermill")
    nb.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder of a run")
    nb.add_argument("--params", type=Path, default=None, help="pipeline parameter file (default: params.yaml)")
    nb.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                    help="a notebook parameter; VALUE is read as YAML, e.g. -p lang=en -p 'cities=[青岛市, 哈尔滨市]'")
    nb.add_argument("-y", "--yaml", default=None, help="parameters as a YAML mapping, e.g. -y '{cities: [青岛市], lang: en}'")
    nb.add_argument("-f", "--file", type=Path, default=None, help="parameters from a YAML file")
    nb.add_argument("--only", default=None, help="comma-separated notebook numbers, e.g. 01,04")
    ex = sub.add_parser("export", help="results.xlsx, LaTeX, REFI-QDA .qdpx, HTML report")
    ex.add_argument("what", nargs="*", default=["all"], help="xlsx, latex, qdpx, report or all (default)")
    ex.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder of a run")
    ex.add_argument("--params", type=Path, default=None, help="parameter file (default: params.yaml)")
    iq = sub.add_parser("import-qdpx", help="a hand-edited .qdpx back into gold and labels")
    iq.add_argument("file", type=Path, help="the .qdpx project")
    iq.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder of a run")
    iq.add_argument("--params", type=Path, default=None, help="parameter file (default: params.yaml)")
    ev = sub.add_parser("evaluate", help="extracted items against a gold file; coder agreement")
    ev.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder of a run")
    ev.add_argument("--params", type=Path, default=None, help="parameter file (default: params.yaml)")
    ev.add_argument("--gold", type=Path, help="CSV with source_file, theme, key_phrase")
    ev.add_argument("--coders", type=Path, nargs=2, metavar=("A", "B"),
                    help="two coders' sentence labels (CSV with text,label): Cohen's kappa")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        from . import stages
        if args.command == "segment":
            res = stages.stage_segment(args.out, params)
        elif args.command == "themes":
            res = stages.stage_themes(args.out, params)
        elif args.command == "train":
            res = stages.command_train(args.out, params)
        elif args.command == "label":
            res = stages.command_label(args.out, params, args.n)
        elif args.command == "notebooks":
            res = stages.run_notebooks(args.out, _notebook_params(args), args.only.split(",") if args.only else None)
        elif args.command == "export":
            res = stages.stage_export(args.out, params, args.what)
        elif args.command == "import-qdpx":
            res = stages.command_import_qdpx(args.out, params, args.file)
        elif args.command == "evaluate":
            if not args.gold and not args.coders:
                parser.error("evaluate needs --gold FILE and/or --coders A B")
            res = stages.command_evaluate(args.out, params, args.gold, args.coders)
        elif args.command == "ingest":
            res = stages.stage_ingest(args.corpus, args.out, params, args.manifest, not args.no_manifest, args.strict)
        else:
            res = stages.run(args.corpus, args.out, params, args.manifest, not args.no_manifest, args.strict,
                             args.until)
    except (ParamError, NothingRead, FileNotFoundError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a notebook that stopped: say which and why, without papermill's long trace
        if type(e).__name__ != "PapermillExecutionError":
            raise
        print(f"error: a notebook stopped: {e.ename}: {e.evalue}", file=sys.stderr)
        return 1
    print(f"{args.command}: {res} → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

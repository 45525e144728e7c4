"""Command line: ``python -m pipeline COMMAND``.

run        every data stage on a corpus (what `make run` calls); --from/--until pick a range
ingest     read, clean and describe the documents → data/documents.parquet
segment    sentences, structure and tokens → data/sentences.parquet, data/tokens.parquet
themes     problems, mechanisms, carriers, measures → data/themes.parquet, tables/theme_*.csv
graph      the stages: what each reads and writes, its parameters, resources and code
prune      delete cache entries that the last run of every stage did not use
train      cross-validate and train the sentence classifier on the labelled sentences
label      export the sentences the classifier is least sure of, for a researcher to label
evaluate   extracted items against a hand-coded gold; agreement between two coders
notebooks  execute the notebook suite with papermill → outputs/notebooks/, outputs/figures/
export     results.xlsx, LaTeX tables, the REFI-QDA project (.qdpx), the HTML report
import-qdpx  a hand-edited .qdpx back into a gold and labels for evaluate/train
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from .config import DEFAULT_CORPUS, DEFAULT_OUT, load_params
from .errors import ParamError, PipelineError

if TYPE_CHECKING:
    from papermill.exceptions import PapermillExecutionError

STAGE_NAMES = ("ingest", "segment", "themes")


def _parser() -> argparse.ArgumentParser:
    # options shared by every command, declared once
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: outputs/)")
    common.add_argument("--params", type=Path, default=None, help="parameter file (default: params.yaml)")
    corpus = argparse.ArgumentParser(add_help=False)
    corpus.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder (documents in raw/ or the folder itself)"
    )
    corpus.add_argument(
        "--manifest", type=Path, default=None, help="manifest CSV (default: <corpus>/manifest.csv if present)"
    )
    corpus.add_argument("--no-manifest", action="store_true", help="ignore any manifest: infer all metadata")
    corpus.add_argument("--strict", action="store_true", help="fail when any file cannot be read")
    corpus.add_argument(
        "--strict-audit", action="store_true", help="fail when the corpus audit finds an error (quality_report.csv)"
    )
    corpus.add_argument(
        "--executor", choices=["local", "dask"], default="local", help="where per-document work runs (default: local)"
    )
    corpus.add_argument(
        "--scheduler", default=None, help="with --executor dask: the scheduler's address or scheduler file"
    )

    parser = argparse.ArgumentParser(
        prog="python -m pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", parents=[common, corpus], help="run the data stages")
    run_p.add_argument(
        "--from",
        dest="start",
        choices=STAGE_NAMES,
        default=None,
        help="run this stage again and those after it (the ones before must have run)",
    )
    run_p.add_argument("--until", choices=STAGE_NAMES, default=None, help="stop after this stage")
    sub.add_parser("ingest", parents=[common, corpus], help="read, clean and describe documents")
    sub.add_parser("segment", parents=[common], help="sentences, structure and tokens of ingested documents")
    sub.add_parser("themes", parents=[common], help="theme items from the segmented documents")
    sub.add_parser("graph", parents=[common], help="print the stage graph")
    sub.add_parser("prune", parents=[common], help="delete unused cache entries")
    sub.add_parser("train", parents=[common], help="cross-validate and train the sentence classifier")
    lab = sub.add_parser("label", parents=[common], help="export the least certain sentences for labelling")
    lab.add_argument("--n", type=int, default=None, help="how many sentences (default: themes.label_batch)")
    nb = sub.add_parser("notebooks", parents=[common], help="execute the notebook suite with papermill")
    nb.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a notebook parameter; VALUE is read as YAML, e.g. -p lang=en -p 'cities=[青岛市, 哈尔滨市]'",
    )
    nb.add_argument(
        "-y", "--yaml", default=None, help="parameters as a YAML mapping, e.g. -y '{cities: [青岛市], lang: en}'"
    )
    nb.add_argument("-f", "--file", type=Path, default=None, help="parameters from a YAML file")
    nb.add_argument("--only", default=None, help="comma-separated notebook numbers, e.g. 01,04")
    nb.add_argument(
        "--name",
        default=None,
        help="folder under <out>/runs/ for this run (default: named from its parameters; none: the default run)",
    )
    ex = sub.add_parser("export", parents=[common], help="results.xlsx, LaTeX, REFI-QDA .qdpx, HTML report")
    ex.add_argument("what", nargs="*", default=["all"], help="xlsx, latex, qdpx, report or all (default)")
    ex.add_argument("--lang", choices=["en", "zh"], default="en", help="results.xlsx headers: en (default) or zh")
    iq = sub.add_parser("import-qdpx", parents=[common], help="a hand-edited .qdpx back into gold and labels")
    iq.add_argument("file", type=Path, help="the .qdpx project")
    ev = sub.add_parser("evaluate", parents=[common], help="extracted items against a gold file; coder agreement")
    ev.add_argument("--gold", type=Path, help="CSV with source_file, theme, key_phrase")
    ev.add_argument(
        "--coders",
        type=Path,
        nargs=2,
        metavar=("A", "B"),
        help="two coders' sentence labels (CSV with text,label): Cohen's kappa",
    )
    return parser


def _notebook_params(args) -> dict:
    import yaml

    out: dict = {}
    if args.file:
        if not args.file.exists():
            raise ParamError(f"notebook parameter file not found: {args.file}")
        out.update(yaml.safe_load(args.file.read_text(encoding="utf-8")) or {})
    if args.yaml:
        value = yaml.safe_load(args.yaml)
        if not isinstance(value, dict):
            raise ParamError(f"-y needs a YAML mapping, got: {args.yaml}")
        out.update(value)
    for item in args.param:
        if "=" not in item:
            raise ParamError(f"--param needs NAME=VALUE, got: {item}")
        name, value = item.split("=", 1)
        out[name.strip()] = yaml.safe_load(value)
    return out


def _dispatch(args, parser) -> object:
    params = load_params(args.params)
    from . import commands, stages

    cmd = args.command
    if cmd in ("run", "ingest"):  # ingest is run --until ingest
        res = stages.run(
            args.corpus,
            args.out,
            params,
            args.manifest,
            not args.no_manifest,
            args.strict,
            until="ingest" if cmd == "ingest" else args.until,
            start=None if cmd == "ingest" else args.start,
            strict_audit=args.strict_audit,
            executor=args.executor,
            scheduler=args.scheduler,
        )
        return res["ingest"] if cmd == "ingest" else res
    if cmd in ("segment", "themes"):
        return stages.run_one(cmd, args.out, params)
    if cmd == "graph":
        from .runner import graph

        print(graph(stages.STAGES))
        return "ok"
    if cmd == "prune":
        from .runner import prune

        return prune(stages.STAGES, args.out)
    if cmd == "train":
        return commands.command_train(args.out, params)
    if cmd == "label":
        return commands.command_label(args.out, params, args.n)
    if cmd == "notebooks":
        from .report.execute import run_notebooks

        only = args.only.split(",") if args.only else None
        return run_notebooks(args.out, _notebook_params(args), only, args.name)
    if cmd == "export":
        return commands.stage_export(args.out, params, args.what, args.lang)
    if cmd == "import-qdpx":
        return commands.command_import_qdpx(args.out, params, args.file)
    if not args.gold and not args.coders:
        parser.error("evaluate needs --gold FILE and/or --coders A B")
    return commands.command_evaluate(args.out, params, args.gold, args.coders)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        res = _dispatch(args, parser)
    except PipelineError as e:  # something the researcher can fix: one line
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:
        if type(e).__name__ == "PapermillExecutionError":  # a notebook stopped: say which and why
            err = cast("PapermillExecutionError", e)
            print(f"error: a notebook stopped: {err.ename}: {err.evalue}", file=sys.stderr)
            return 1
        print(
            "This is a bug in the pipeline, not in your input. Please report it with the traceback that follows "
            "and outputs/run.json.",
            file=sys.stderr,
        )
        raise
    if args.command in ("run", "ingest"):
        print(f"{args.command}: finished → {args.out} (parameters, inputs and versions in run.json)")
    elif args.command != "graph":
        print(f"{args.command}: {res} → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

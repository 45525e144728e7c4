"""Command line: ``python -m pipeline COMMAND``.

    run      every data stage on a corpus (what `make run` calls)
    ingest   read, clean and describe the documents → data/documents.parquet
    segment  sentences, structure and tokens → data/sentences.parquet, data/tokens.parquet
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    _common(sub.add_parser("run", help="run every data stage"))
    _common(sub.add_parser("ingest", help="read, clean and describe documents"))
    seg = sub.add_parser("segment", help="sentences, structure and tokens of ingested documents")
    seg.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder holding data/documents.parquet")
    seg.add_argument("--params", type=Path, default=None, help="parameter file (default: params.yaml)")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        from . import stages
        if args.command == "segment":
            res = stages.stage_segment(args.out, params)
        elif args.command == "ingest":
            res = stages.stage_ingest(args.corpus, args.out, params, args.manifest, not args.no_manifest, args.strict)
        else:
            res = stages.run(args.corpus, args.out, params, args.manifest, not args.no_manifest, args.strict)
    except (ParamError, NothingRead, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.command}: {res} → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

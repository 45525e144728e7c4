"""The Dask executor: the per-document stages on a cluster give the tables the local executor gives, byte for
byte — with a LocalCluster of two worker processes, and with a scheduler and workers started by hand."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import need_shared

from pipeline import catalog
from pipeline.stages import STAGES, run

pytestmark = pytest.mark.slow
OUTPUTS = [a for s in STAGES for a in s.outputs]


@pytest.fixture(scope="module")
def corpus_and_local(tmp_path_factory, params):
    """Twelve city reports (enough for the stages to hand documents to workers) and the local run's tables."""
    root = tmp_path_factory.mktemp("dask")
    corpus = root / "corpus"
    corpus.mkdir()
    for f in sorted(need_shared("cities-2024", "txt").glob("*.txt"))[:12]:
        shutil.copy(f, corpus / f.name)
    p = {**params, "n_jobs": 2}
    run(corpus, root / "local", p, use_manifest=False)
    return corpus, p, {a: catalog.artifact_path(root / "local", a).read_bytes() for a in OUTPUTS}


def _tables(out: Path) -> dict[str, bytes]:
    return {a: catalog.artifact_path(out, a).read_bytes() for a in OUTPUTS}


def test_a_local_cluster_of_two_workers_gives_the_same_tables(corpus_and_local, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    corpus, p, local = corpus_and_local
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster as c, distributed.Client(c) as client:
        with distributed.get_task_stream(client) as stream:
            run(corpus, tmp_path / "dask", p, use_manifest=False, executor="dask", scheduler=c.scheduler_address)
        workers_used = {t["worker"] for t in stream.data}
    assert len(stream.data) >= 12 and len(workers_used) == 2  # the documents went to both workers
    assert _tables(tmp_path / "dask") == local


def test_a_scheduler_and_workers_started_by_hand(corpus_and_local, tmp_path):
    pytest.importorskip("dask.distributed")
    corpus, p, local = corpus_and_local
    bin_dir = Path(sys.executable).parent
    scheduler_file = tmp_path / "scheduler.json"
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--scheduler-file",
                str(scheduler_file),
                "--port",
                "0",
                "--dashboard-address",
                ":0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(300):
            if scheduler_file.exists():
                break
            time.sleep(0.1)
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        str(bin_dir / "dask"),
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from dask.distributed import Client

        with Client(scheduler_file=str(scheduler_file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        run(corpus, tmp_path / "dask", p, use_manifest=False, executor="dask", scheduler=str(scheduler_file))
        assert _tables(tmp_path / "dask") == local
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_dask_run_without_a_scheduler_is_refused(tmp_path, params):
    from pipeline.errors import ParamError

    with pytest.raises(ParamError, match="needs --scheduler"):
        run(tmp_path, tmp_path / "out", params, executor="dask")
    with pytest.raises(ParamError, match="unknown executor 'spark'"):
        run(tmp_path, tmp_path / "out", params, executor="spark")

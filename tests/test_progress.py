"""Progress lines: one at the start, one with the elapsed time; loops report and stay silent
when quiet."""

import time

from rnnctx_utils import progress


def test_stage_prints_start_and_elapsed(capsys, monkeypatch):
    monkeypatch.delenv("RNNCTX_QUIET", raising=False)
    with progress.stage("scoring 3 tokens"):
        time.sleep(0.05)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "scoring 3 tokens ..."
    assert lines[1].startswith("scoring 3 tokens: done in ")
    assert float(lines[1].split("done in ")[1].split(" s")[0]) >= 0.05 - 1e-9


def test_report_loop_yields_everything_and_reports_by_time(capsys, monkeypatch):
    monkeypatch.delenv("RNNCTX_QUIET", raising=False)
    assert list(progress.report_loop(range(5), 5, "chunks", every_seconds=0.0)) == list(range(5))
    # every item but the last is reported when the interval is zero
    assert capsys.readouterr().out.count("chunks: ") == 4
    monkeypatch.setenv("RNNCTX_QUIET", "1")
    assert sum(progress.report_loop(range(5), 5, "chunks", every_seconds=0.0)) == 10
    with progress.stage("silent"):
        pass
    assert capsys.readouterr().out == ""

"""The toy-language appendix on the authors' full schedule: train once, report the numbers.

What it does
    The chapter notebooks/07_toy_language.py trains the authors' recipe compressed to 2,000
    steps (``toy.book_settings()``), because 40,000 steps do not fit the book's budget. This
    script trains the full recipe, ``toy.AUTHORS_SETTINGS`` (100 units, 40,000 steps), once,
    and computes exactly the chapter's quantities with the chapter's own functions,
    ``toy.analyse`` and ``toy.headline_numbers``: the evaluation MSE, the unique fixed points
    at tolerance 2e-6 and whether they lie on a line, the top eigenvalues at the fixed point
    nearest the context states (|λ₁|, the mode (pair) closest to the "not" kick, the one
    closest to the "very" kick), the linear prediction vs the true readout change for the 16
    probes, and the mode-ablation ranking. It writes them with the run's provenance (dates,
    machine, training time, git commit, settings, training curve) to
    ``book/data/toy_full_schedule.json``, which the chapter reads for the third column of its
    "authors vs this book" table.

How long it takes
    Training: about 0.1 s per step on two CPU cores, so 40,000 steps take roughly 70–90
    minutes (longer when the cores are shared). The analysis: a few minutes (1,500
    fixed-point searches, 100 ablations per modifier).

How to run (from the repository root)
    .venv/bin/python benchmarks/toy_full_schedule.py                      # train, then analyse
    .venv/bin/python benchmarks/toy_full_schedule.py --save model.pkl     # ... and keep the model
    .venv/bin/python benchmarks/toy_full_schedule.py --params model.pkl   # analyse a saved model

``--params`` reads a pickle holding a dict with ``params`` (the toy GRU parameter pytree),
``settings`` (``ToySettings.to_dict()``), ``history`` ({step, mse}) and ``train_seconds``, the
format ``--save`` writes; the training date recorded is then the file's modification time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pickle
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rnnctx_utils import toy

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    """Where the run happened: cores, CPU model (from /proc/cpuinfo), platform, versions."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu_model": model, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "jax": jax.__version__,
            "jax_backend": jax.default_backend(), "numpy": np.__version__}


def git_commit() -> dict[str, Any]:
    """The commit of the code that ran, and whether the working tree differed from it."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                check=False)
        return result.stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or "unknown",
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def _date(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d")


def load_model(path: Path) -> tuple[toy.ToyModel, str]:
    """A saved model (the pickle format of the module docstring) and its training date."""
    with path.open("rb") as handle:
        saved = pickle.load(handle)  # noqa: S301 -- our own file, written by --save
    params = jax.tree_util.tree_map(jnp.asarray, saved["params"])
    settings = toy.ToySettings(**saved["settings"])
    history = {name: np.asarray(values) for name, values in saved["history"].items()}
    model = toy.ToyModel(params, settings, history, float(saved["train_seconds"]))
    return model, _date(path.stat().st_mtime)


def save_model(model: toy.ToyModel, path: Path) -> None:
    """Write the model in the pickle format ``--params`` reads."""
    with path.open("wb") as handle:
        pickle.dump({"params": jax.device_get(model.params),
                     "settings": model.settings.to_dict(), "history": model.history,
                     "train_seconds": model.train_seconds}, handle)


def report(model: toy.ToyModel, trained_on: str, **analysis_options: Any) -> dict[str, Any]:
    """The chapter's numbers for ``model`` (``toy.analyse`` then ``toy.headline_numbers``,
    with the chapter's defaults unless ``analysis_options`` override them) and provenance."""
    start = time.perf_counter()
    analysis = toy.analyse(model.params, seq_len=model.settings.seq_len, **analysis_options)
    numbers = toy.headline_numbers(analysis)
    return {
        "description": "P2's toy language: the chapter's analysis of one GRU trained on the "
                       "full schedule (benchmarks/toy_full_schedule.py)",
        "numbers": numbers,
        "table": toy.table_cells(numbers),
        "settings": model.settings.to_dict(),
        "train_seconds": float(model.train_seconds),
        "trained_on": trained_on,
        "analysed_on": _date(time.time()),
        "analysis_seconds": float(time.perf_counter() - start),
        "analysis_options": analysis_options,
        "final_training_mse": float(model.history["mse"][-1]),
        "history": {name: np.asarray(values).tolist() for name, values in model.history.items()},
        "machine": machine(),
        "git_commit": git_commit(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", type=Path, help="analyse this saved model, do not train")
    parser.add_argument("--save", type=Path, help="also save the trained model here")
    parser.add_argument("--out", type=Path, default=toy.FULL_SCHEDULE_PATH)
    args = parser.parse_args()
    if args.params is not None:
        model, trained_on = load_model(args.params)
    else:
        def progress(step: int, mse: float) -> None:
            print(f"{time.strftime('%H:%M:%S')} step {step:6d}  training MSE {mse:.5f}",
                  flush=True)

        model = toy.train(toy.AUTHORS_SETTINGS, log_every=500, progress=progress)
        trained_on = _date(time.time())
        if args.save is not None:
            save_model(model, args.save)
    if model.settings != toy.AUTHORS_SETTINGS:
        print(f"note: settings differ from toy.AUTHORS_SETTINGS: {model.settings}")
    result = report(model, trained_on)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(result["table"], indent=1, ensure_ascii=False))
    print(f"analysis {result['analysis_seconds']:.0f} s; written to {args.out}")


if __name__ == "__main__":
    main()

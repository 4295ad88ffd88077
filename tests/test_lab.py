"""`make lab`, run for real on a copy of chapter 1: the server opens the `.py` as a notebook, a
kernel with the book's environment executes a cell, and saving the notebook writes the `.py`.

The test runs the recipe of `make lab` itself (same Makefile target, same
jupyter/jupyter_server_config.py, same lab settings), with `make -o` on the install stamps so that
it never runs pip, on a temporary folder (LABDIR) and headless on a free loopback port (LABFLAGS).
It needs the `lab` extra (`make install-lab`, which .ci/run does before `make test`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import pytest

from rnnctx_utils import allocator

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01_task.py"
VENV = Path(sys.prefix)  # the environment running the tests: .venv under `make test`
STARTUP_S = 60.0
KERNEL_S = 60.0
HTTP_S = 20.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("jupyterlab") is None,
        reason="JupyterLab is not installed: `make install-lab` adds the lab extra to .venv",
    ),
    pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make"),
    pytest.mark.skipif(not (VENV / "bin" / "jupyter").exists(), reason="no bin/jupyter"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    token: str
    folder: Path
    log: Path

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=HTTP_S) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


def _make_lab(interface: str, folder: Path, port: int, token: str) -> list[str]:
    flags = [
        "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:  # containers, CI: Jupyter refuses root without it
        flags.append("--allow-root")
    return [
        "make", "--no-print-directory", "-C", str(ROOT),
        # The installs are what `make install-lab` checks; here they are taken as done.
        "-o", f"{VENV}/.installed", "-o", f"{VENV}/.installed-lab",
        "lab", f"VENV={VENV}", f"LAB={interface}", f"LABDIR={folder}",
        "LABFLAGS=" + " ".join(flags),
    ]


def _stop(process: subprocess.Popen[bytes], server: Server) -> None:
    if process.poll() is None:
        try:
            server.request("POST", "/api/shutdown")  # also shuts the kernels down
            process.wait(timeout=30)
        except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
            pass
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # make, its shell, jupyter: our own group
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture(params=["lab", "notebook"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """`make lab` (or `make lab LAB=notebook`) on a copy of chapter 1 and its jupytext.toml."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("jupytext.toml", CHAPTER):
        shutil.copy(ROOT / "notebooks" / name, folder / name)
    port, token = _free_port(), secrets.token_hex(16)
    server = Server(f"http://127.0.0.1:{port}", token, folder, tmp_path / "lab.log")
    # Not inherited from `make test`: the environment of the kernel must come from `make lab`.
    env = {k: v for k, v in os.environ.items()
           if k not in ("GLIBC_TUNABLES", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    env["RNNCTX_QUIET"] = "1"  # an RNNCTX_* variable, to pass through to the kernel
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            _make_lab(request.param, folder, port, token), cwd=ROOT, env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            assert process.poll() is None, f"make lab exited:\n{server.log_tail()}"
            try:
                server.request("GET", "/api/status")
                break
            except (OSError, urllib.error.URLError):
                assert time.monotonic() < deadline, (
                    f"no answer from /api/status in {STARTUP_S:.0f} s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        _stop(process, server)


def _message(code: str) -> dict[str, Any]:
    return {
        "header": {"msg_id": uuid.uuid4().hex, "session": uuid.uuid4().hex, "username": "test",
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }


async def _execute(server: Server, kernel_id: str, code: str) -> tuple[str, str, str]:
    """(status, stdout, text/plain result) of one cell, through the kernel's websocket."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = server.url.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
    request = HTTPRequest(url, headers={"Authorization": f"token {server.token}"},
                          connect_timeout=HTTP_S, request_timeout=HTTP_S)
    connection = await websocket_connect(request)
    message = _message(code)
    msg_id = message["header"]["msg_id"]
    status, stdout, result, idle = "", "", "", False
    try:
        await connection.write_message(json.dumps(message))
        deadline = time.monotonic() + KERNEL_S
        # The reply (shell) and the outputs (iopub) come in any order; iopub's `idle` comes last.
        while not (status and idle):
            left = deadline - time.monotonic()
            assert left > 0, f"no execute_reply in {KERNEL_S:.0f} s:\n{server.log_tail()}"
            raw = await asyncio.wait_for(connection.read_message(), timeout=left)
            assert raw is not None, "the kernel's websocket closed"
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = reply["header"]["msg_type"], reply["content"]
            if kind == "stream" and content["name"] == "stdout":
                stdout += content["text"]
            elif kind == "execute_result":
                result = content["data"]["text/plain"]
            elif kind == "error":
                stdout += "\n".join(content["traceback"])
            elif kind == "execute_reply":
                status = content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
    finally:
        connection.close()
    return status, stdout, result


def test_make_lab_opens_runs_and_saves_a_chapter(server: Server) -> None:
    script = server.folder / CHAPTER
    original = script.read_text()

    # A chapter `.py` opens as a notebook (jupytext's contents manager), with the cells that
    # jupytext reads in it, paired as in notebooks/jupytext.toml.
    model = server.request("GET", f"/api/contents/{CHAPTER}?type=notebook&content=1")
    assert model["type"] == "notebook" and model["format"] == "json"
    notebook = model["content"]
    assert notebook["metadata"]["jupytext"]["formats"] == "ipynb,py:percent"
    cells = [(c["cell_type"], c["source"]) for c in jupytext.reads(original, "py:percent").cells]
    assert [(c["cell_type"], c["source"]) for c in notebook["cells"]] == cells
    assert len(cells) > 5 and any(kind == "markdown" for kind, _ in cells)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"

    # ... and a double click opens it so: the lab settings of `make lab` (jupyter/overrides.json).
    docmanager = server.request("GET", "/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    viewers = docmanager["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers.get("python") == "Jupytext Notebook", viewers

    # A kernel runs a cell, in this environment and with the variables of the book's processes.
    kernel = server.request("POST", "/api/kernels", {"name": "python3"})
    try:
        code = ("import os, sys\n"
                "for name in ('GLIBC_TUNABLES', 'HF_HUB_OFFLINE', 'RNNCTX_QUIET'):\n"
                "    print(name, os.environ.get(name))\n"
                "print('prefix', sys.prefix)\n"
                "6 * 7")
        status, stdout, result = asyncio.run(_execute(server, kernel["id"], code))
    finally:
        server.request("DELETE", f"/api/kernels/{kernel['id']}")
    assert status == "ok", stdout
    assert result == "42"
    reuse = os.environ.get(allocator.ENV_VARIABLE, "").strip() != "0"
    lines = stdout.splitlines()
    assert f"GLIBC_TUNABLES {allocator.GLIBC_TUNABLES if reuse else None}" in lines
    assert "HF_HUB_OFFLINE 1" in lines and "RNNCTX_QUIET 1" in lines
    assert f"prefix {sys.prefix}" in lines

    # Saving the notebook with one more cell writes the `.py`, in percent format, and the
    # paired `.ipynb`; the cells of the chapter come back as they were. (The header gains
    # jupytext's format_version and jupytext_version lines, which the committed chapters leave
    # out.)
    cell: dict[str, Any] = {"cell_type": "code", "execution_count": None, "metadata": {},
                            "outputs": [], "source": "answer = 6 * 7"}
    if (notebook["nbformat"], notebook["nbformat_minor"]) >= (4, 5):
        cell["id"] = uuid.uuid4().hex[:8]
    notebook["cells"].append(cell)
    saved = server.request("PUT", f"/api/contents/{CHAPTER}",
                           {"type": "notebook", "format": "json", "content": notebook})
    assert saved["type"] == "notebook"
    text = script.read_text()
    assert text.endswith("\n\n# %%\nanswer = 6 * 7\n")
    assert [(c["cell_type"], c["source"]) for c in jupytext.reads(text, "py:percent").cells] == [
        *cells, ("code", "answer = 6 * 7")]
    paired = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    assert [(c["cell_type"], c["source"]) for c in paired.cells] == [
        *cells, ("code", "answer = 6 * 7")]

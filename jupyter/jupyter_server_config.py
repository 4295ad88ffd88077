"""Jupyter server settings of `make lab`, and of tests/test_lab.py, which runs `make lab`.

Loaded with `--config=jupyter/jupyter_server_config.py` by JupyterLab (`make lab`) and by
Notebook 7 (`make lab LAB=notebook`); the root folder is given on the command line.
"""

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

# Chapters are jupytext percent scripts paired with notebooks (notebooks/jupytext.toml):
# jupytext's contents manager serves `01_task.py` as a notebook, and saving the notebook writes
# `01_task.py` (and `01_task.ipynb`, which keeps the outputs) back. jupytext's server extension
# would install the same manager; naming it here does not depend on that extension being enabled.
c.ServerApp.contents_manager_class = "jupytext.AsyncTextFileContentsManager"

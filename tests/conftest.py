"""Test-wide settings: never reach a network, keep caches inside the test's temp folder."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
# JAX on a 2-core CPU: no preallocation games, deterministic float32.
os.environ.setdefault("JAX_PLATFORMS", "cpu")

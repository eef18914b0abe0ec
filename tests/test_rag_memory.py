"""What keeps the server's RSS down with the model loaded (docs/rag.md, "Memory"):
sentence-transformers imported without scikit-learn/scipy (sre_mcp.rag.lean_import),
small embedding batches, and freed scratch handed back after warm-up.

Each check that needs a clean interpreter (what is imported, and what the model
returns) runs in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sre_mcp.rag import lean_import
from sre_mcp.rag.index import release_free_memory

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(180)

TEXTS = [
    "pods keep restarting exit code 137",
    "Postgres connection pool exhausted. Diagnosis. Tags: postgres, database.\nFATAL: sorry, too many clients already",
    "x509: certificate has expired or is not yet valid",
    "kafka consumers falling behind " * 40,  # longer than MiniLM's window: truncation path
]

# Loads the model the way the server does, embeds TEXTS, reports what got imported.
PROBE = f"""
import json, sys
from sre_mcp.rag import lean_import
from sre_mcp.rag.index import embed, load_model
load_model()
vecs = embed({TEXTS!r})
print(json.dumps({{
    "mode": lean_import.last_mode,
    "loaded": sorted(m for m in ("sklearn", "scipy", "pandas", "pyarrow") if m in sys.modules),
    "vecs": vecs,
}}))
"""


def run_probe(code: str, **env: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def lean_and_full() -> tuple[dict, dict]:
    return run_probe(PROBE), run_probe(PROBE, SRE_RAG_LEAN_IMPORT="0")


def test_lean_import_keeps_sklearn_and_scipy_out(lean_and_full):
    lean, full = lean_and_full
    assert lean["mode"] == "shimmed"
    assert lean["loaded"] == [], "sentence-transformers pulled these in again: update lean_import.STANDINS"
    assert full["mode"] == "off"
    assert {"sklearn", "scipy"} <= set(full["loaded"])  # what the shim saves is real


def test_embeddings_identical_with_and_without_lean_import(lean_and_full):
    lean, full = lean_and_full
    assert len(lean["vecs"]) == len(TEXTS)
    assert lean["vecs"] == full["vecs"]  # bit for bit: same model, same code path


def test_standins_import_the_real_functions_when_called():
    # the one sentence-transformers path that needs them: Manhattan similarity of sparse tensors
    code = """
import json, sys
from sre_mcp.rag.lean_import import import_sentence_transformers
st = import_sentence_transformers()
import torch
from sentence_transformers.util import similarity
assert "sklearn" not in sys.modules and "scipy" not in sys.modules
assert similarity.pairwise_distances.__module__ == "sre_mcp.rag.lean_import"
a = torch.tensor([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
b = torch.tensor([[0.0, 1.0, 2.0]])
sparse = similarity.manhattan_sim(a.to_sparse(), b.to_sparse()).tolist()
dense = similarity.manhattan_sim(a, b).tolist()
assert "sklearn.metrics" in sys.modules and "scipy.sparse" in sys.modules  # imported by the stand-ins' first call
import sklearn.metrics, scipy.sparse, scipy.optimize
from sre_mcp.rag import lean_import
print(json.dumps({
    "sparse": sparse, "dense": dense,
    "real_sklearn": type(sys.modules["sklearn"]).__name__ == "module" and hasattr(sklearn, "__version__"),
    "real_scipy": hasattr(scipy, "__version__") and hasattr(scipy.sparse, "csr_matrix"),
    "lsa": lean_import.lazy_standin("scipy.optimize", "linear_sum_assignment")([[4, 1], [2, 3]])[1].tolist(),
}))
"""
    got = run_probe(code)
    assert got["sparse"] == got["dense"] == [[-2.0], [-4.0]]
    assert got["real_sklearn"] and got["real_scipy"]  # placeholders are gone: later imports are the real packages
    assert got["lsa"] == [1, 0]


def test_fallback_when_a_standin_is_missing():
    # A future transformers/sentence-transformers needing more of scipy than the shim
    # stands in for: the import must still succeed, with the real packages.
    code = """
import json, sys
from sre_mcp.rag import lean_import
del lean_import.STANDINS["scipy.optimize"]  # transformers' `from scipy.optimize import ...` now fails
st = lean_import.import_sentence_transformers()
m = st.SentenceTransformer
print(json.dumps({"mode": lean_import.last_mode, "scipy": hasattr(sys.modules.get("scipy"), "__version__")}))
"""
    got = run_probe(code)
    assert got == {"mode": "fallback", "scipy": True}


def test_placeholders_are_served_to_the_importing_thread_only():
    finder = lean_import._PlaceholderFinder()
    assert finder.find_spec("sklearn.metrics") is not None
    assert finder.find_spec("numpy") is None
    seen = []
    t = threading.Thread(target=lambda: seen.append(finder.find_spec("sklearn.metrics")))
    t.start()
    t.join()
    assert seen == [None]


def test_release_free_memory_runs_on_glibc():
    if not sys.platform.startswith("linux"):
        pytest.skip("malloc_trim is glibc's")
    assert release_free_memory() is True

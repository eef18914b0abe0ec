"""Import sentence-transformers without scikit-learn and scipy (~110 MB of RSS).

``import sentence_transformers`` loads, for code paths the server never takes:

- scikit-learn (and through it pandas and pyarrow) for ``sklearn.metrics.pairwise_distances``
  (``sentence_transformers/util/similarity.py``: Manhattan similarity of *sparse* tensors);
- scipy for ``scipy.sparse.coo_matrix`` (``util/tensor.py``, the same sparse path) and,
  through transformers' object-detection losses, ``scipy.optimize.linear_sum_assignment``.

``import_sentence_transformers()`` imports the package with a meta-path finder that,
for the importing thread only and only while that import runs, answers exactly the
modules in ``STANDINS`` (and their parent packages) with placeholder modules. Their
functions are stand-ins: the first call imports the real function and forwards to it,
so behaviour is unchanged if one of those paths is ever taken. When the import
returns, the placeholders are removed from ``sys.modules``: any later ``import scipy``
anywhere gets the real package. docs/rag.md ("Memory") has the figures.

It is deliberately narrow and fails safe:

- nothing is shimmed if scikit-learn or scipy is already imported;
- a placeholder has no other attributes or submodules, so if a future
  sentence-transformers or transformers needs anything else from these packages, that
  import fails, the placeholders are removed and the package is imported again the
  ordinary way (logged; modules already imported keep their working stand-ins);
- other threads never get a placeholder from the finder. They could see one in
  ``sys.modules`` during the ~2 s window; nothing else in the server imports scikit-learn
  or scipy, and ``SRE_RAG_LEAN_IMPORT=0`` turns the shim off.

tests/test_rag_memory.py checks that embeddings are bit-identical with and without it,
that neither package is loaded, that the stand-ins import the real functions when
called, and the fallback.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
import threading
import types
from typing import Any, Callable

log = logging.getLogger(__name__)

# placeholder module -> names it provides as lazy stand-ins
STANDINS: dict[str, tuple[str, ...]] = {
    "sklearn.metrics": ("pairwise_distances",),
    "scipy.sparse": ("coo_matrix",),
    "scipy.optimize": ("linear_sum_assignment",),
}
_PACKAGES = frozenset(name.split(".")[0] for name in STANDINS)
_ALL = frozenset(STANDINS) | _PACKAGES

# what the last import_sentence_transformers() did: "shimmed", "fallback", "off",
# "already-imported" (tests and the benchmark read it)
last_mode: str | None = None


def lazy_standin(module: str, name: str) -> Callable[..., Any]:
    """A function that imports ``module.name`` on its first call and forwards to it."""
    real: list[Callable[..., Any]] = []

    def standin(*args: Any, **kwargs: Any) -> Any:
        if not real:
            real.append(getattr(importlib.import_module(module), name))
        return real[0](*args, **kwargs)

    standin.__name__ = standin.__qualname__ = name
    standin.__module__ = __name__
    standin.__doc__ = f"Lazy stand-in for {module}.{name} (imported on first call)."
    return standin


class _PlaceholderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.made: dict[str, types.ModuleType] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _ALL or threading.get_ident() != self.thread:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in _PACKAGES)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        mod = types.ModuleType(spec.name, f"placeholder for {spec.name} (sre_mcp.rag.lean_import)")
        for name in STANDINS.get(spec.name, ()):
            setattr(mod, name, lazy_standin(spec.name, name))
        self.made[spec.name] = mod
        return mod

    def exec_module(self, module: types.ModuleType) -> None:
        pass

    def remove(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        for name, mod in self.made.items():
            if sys.modules.get(name) is mod:
                del sys.modules[name]


def import_sentence_transformers() -> types.ModuleType:
    """``import sentence_transformers``, without loading scikit-learn and scipy when possible."""
    global last_mode
    if "sentence_transformers" in sys.modules:
        return sys.modules["sentence_transformers"]
    if os.environ.get("SRE_RAG_LEAN_IMPORT", "1") == "0":
        last_mode = "off"
        return importlib.import_module("sentence_transformers")
    if any(p in sys.modules for p in _PACKAGES):
        last_mode = "already-imported"
        return importlib.import_module("sentence_transformers")
    finder = _PlaceholderFinder()
    sys.meta_path.insert(0, finder)
    try:
        mod = importlib.import_module("sentence_transformers")
        last_mode = "shimmed"
        return mod
    except ImportError as exc:
        log.warning("lean import of sentence-transformers failed (%s); importing it with scikit-learn", exc)
    finally:
        finder.remove()
    # Fallback: modules that did import keep their stand-ins (which still work); the
    # rest import for real now that the placeholders are gone.
    last_mode = "fallback"
    return importlib.import_module("sentence_transformers")

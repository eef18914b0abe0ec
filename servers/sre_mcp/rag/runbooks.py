"""Runbook files: YAML front matter + Markdown body, split into ``##`` sections.

Pure parsing, no heavy imports: the server lists runbooks and serves them as
resources long before the embedding model is loaded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)

OVERVIEW = "Overview"


class RunbookError(ValueError):
    """A runbook file that cannot be used (bad front matter, missing title...)."""


@dataclass(frozen=True)
class Section:
    heading: str
    text: str  # Markdown of the section body, heading line excluded


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    team: str
    tags: tuple[str, ...]
    path: Path
    text: str  # the whole file as written, front matter included
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def summary(self) -> dict:
        return {"id": self.id, "title": self.title, "team": self.team, "tags": list(self.tags), "path": str(self.path)}


def split_sections(body: str) -> list[Section]:
    """Split on ``## `` headings, ignoring ones inside code fences (a shell comment
    like ``## step 2`` in a bash block is not a heading). Text before the first
    ``##`` (after the ``# Title`` line) becomes an "Overview" section."""
    sections: list[Section] = []
    heading = OVERVIEW
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(heading, text))

    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("## "):
            flush()
            heading, lines = line[3:].strip(), []
            continue
        elif not in_fence and line.startswith("# ") and heading == OVERVIEW and not lines:
            continue  # the document title; it is in the metadata already
        lines.append(line)
    flush()
    return sections


def parse_runbook(path: Path, text: str | None = None) -> Runbook:
    import yaml  # local: keeps `import sre_mcp.rag` cheap

    if text is None:
        text = path.read_text(encoding="utf-8")
    meta: dict = {}
    body = text
    m = _FRONT.match(text)
    if m:
        try:
            meta = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as exc:
            raise RunbookError(f"{path}: front matter is not valid YAML: {exc}") from exc
        if not isinstance(meta, dict):
            raise RunbookError(f"{path}: front matter must be a mapping")
        body = text[m.end():]

    rid = str(meta.get("id") or path.stem).strip()
    if not _ID.match(rid):
        raise RunbookError(f"{path}: id {rid!r} must be lowercase letters, digits, '.', '_' or '-'")
    title = str(meta.get("title") or "").strip()
    if not title:
        h1 = re.search(r"^# (.+)$", body, re.M)
        title = h1.group(1).strip() if h1 else rid
    team = str(meta.get("team") or "sre").strip().lower()
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list):
        raise RunbookError(f"{path}: tags must be a list")
    sections = split_sections(body)
    if not sections:
        raise RunbookError(f"{path}: no content")
    return Runbook(
        id=rid,
        title=title,
        team=team,
        tags=tuple(str(t).strip().lower() for t in tags if str(t).strip()),
        path=path,
        text=text,
        sections=tuple(sections),
    )


def load_runbooks(dirs: Iterable[Path], errors: list[str] | None = None) -> dict[str, Runbook]:
    """All ``*.md`` runbooks under ``dirs`` (not recursive), keyed by id. A later
    directory overrides an earlier one with the same id, so a team can shadow a
    shipped runbook. A broken file is skipped (and reported) rather than taking the
    whole index down."""
    out: dict[str, Runbook] = {}
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            log.warning("runbook directory %s does not exist", d)
            continue
        for path in sorted(d.glob("*.md")):
            if path.name.lower() == "readme.md":
                continue
            try:
                rb = parse_runbook(path)
            except (OSError, UnicodeDecodeError, RunbookError) as exc:
                msg = str(exc) if isinstance(exc, RunbookError) else f"{path}: {exc}"
                log.warning("skipping runbook: %s", msg)
                if errors is not None:
                    errors.append(msg)
                continue
            out[rb.id] = rb
    return out

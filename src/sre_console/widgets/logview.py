"""A log view that stays fast at hundreds of thousands of lines.

Toolong's idea: a Line-API `ScrollView` that renders only the visible rows, with
an LRU cache of styled lines. Appending is a list extend; levels, timestamps and
find-highlights are worked out when a line is first drawn, not when it arrives.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from sre_console.themes import palette

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\s+")
LEVEL = re.compile(r"\b(FATAL|CRITICAL|ERROR|WARN(?:ING)?|INFO|DEBUG|TRACE)\b", re.IGNORECASE)
# Stack-trace and wrapped lines carry no level of their own: they belong to the line above.
CONTINUATION = re.compile(r"^(\s|Caused by|\.\.\. \d+ more|[\w.$]+(?:Exception|Error)\b)")
LEVEL_KEY = {"FATAL": "log-error", "CRITICAL": "log-error", "ERROR": "log-error", "WARN": "log-warn", "WARNING": "log-warn",
             "INFO": "log-info", "DEBUG": "log-debug", "TRACE": "log-debug"}
CACHE_SIZE = 2000


class LogView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LogView { background: $surface; }
    LogView:focus { background-tint: $foreground 3%; }
    """

    wrap: reactive[bool] = reactive(False)
    show_timestamps: reactive[bool] = reactive(True)
    follow: reactive[bool] = reactive(True)

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.lines: list[str] = []
        self._max_width = 0
        self._levels: dict[int, str | None] = {}
        self._cache: OrderedDict[int, Text] = OrderedDict()
        self._rows: list[tuple[int, int]] | None = None  # wrap mode: (line, start column) per row
        self._rows_width = 0
        self._find: re.Pattern[str] | None = None
        self.matches: list[int] = []
        self.match_index = -1

    # data -------------------------------------------------------------------
    def set_lines(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self._levels.clear()
        self._max_width = max((len(line) for line in self.lines), default=0)
        self._invalidate()
        self._rematch()
        if self.follow:
            self._to_end()

    def append(self, lines: list[str]) -> None:
        if not lines:
            return
        start = len(self.lines)
        self.lines.extend(lines)
        self._max_width = max(self._max_width, max(len(line) for line in lines))
        if self._rows is not None:
            self._wrap_rows(start)
        if self._find is not None:
            self.matches.extend(i for i in range(start, len(self.lines)) if self._find.search(self.lines[i]))
        self._update_virtual_size()
        if self.follow:
            self._to_end()
        self.refresh()

    def clear(self) -> None:
        self.set_lines([])

    @property
    def line_count(self) -> int:
        return len(self.lines)

    # toggles ----------------------------------------------------------------
    def watch_wrap(self) -> None:
        self._invalidate()

    def watch_show_timestamps(self) -> None:
        self._invalidate()

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self._to_end()

    def _to_end(self) -> None:
        # The new virtual size is laid out on the next refresh; scroll once it is.
        self.scroll_to(y=max(0, self.virtual_size.height - self.scrollable_content_region.height), animate=False, immediate=True)
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def on_resize(self) -> None:
        if self.wrap:
            self._invalidate()
        if self.follow:
            self._to_end()  # following means the last line stays in view when the pane grows or shrinks

    def on_mount(self) -> None:
        # Theme switches change the colours baked into cached lines.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._invalidate())

    # find -------------------------------------------------------------------
    def find(self, pattern: str | None) -> int:
        """Highlight and index matches (regex, case-insensitive; a bad regex is taken literally)."""
        if not pattern:
            self._find = None
        else:
            try:
                self._find = re.compile(pattern, re.IGNORECASE)
            except re.error:
                self._find = re.compile(re.escape(pattern), re.IGNORECASE)
        self._rematch()
        self._cache.clear()
        self.refresh()
        if self.matches:
            self.next_match()
        return len(self.matches)

    def _rematch(self) -> None:
        pat = self._find
        self.matches = [i for i, line in enumerate(self.lines) if pat.search(line)] if pat else []
        self.match_index = -1

    def next_match(self, backwards: bool = False) -> int | None:
        if not self.matches:
            return None
        step = -1 if backwards else 1
        self.match_index = (self.match_index + step) % len(self.matches)
        line = self.matches[self.match_index]
        self.follow = False
        self.scroll_to(y=max(0, self._row_of(line) - self.size.height // 2), animate=False)
        self._cache.pop(line, None)
        self.refresh()
        return line

    # rendering --------------------------------------------------------------
    def _invalidate(self) -> None:
        self._cache.clear()
        self._rows = None
        if self.wrap:
            self._wrap_rows(0)
        self._update_virtual_size()
        self.refresh()

    def _text_width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 80)

    def _wrap_rows(self, start: int) -> None:
        width = self._text_width()
        if self._rows is None or self._rows_width != width:
            self._rows, self._rows_width, start = [], width, 0
        rows = self._rows
        strip_ts = not self.show_timestamps
        for i in range(start, len(self.lines)):
            line = self.lines[i]
            n = len(TIMESTAMP.sub("", line, count=1)) if strip_ts else len(line)
            rows.extend((i, col) for col in range(0, max(n, 1), width))

    def _row_of(self, line: int) -> int:
        if self._rows is None:
            return line
        import bisect

        return bisect.bisect_left(self._rows, (line, 0))

    def _update_virtual_size(self) -> None:
        if self._rows is not None:
            self.virtual_size = Size(self._rows_width, len(self._rows))
        else:
            self.virtual_size = Size(self._max_width + 1, len(self.lines))

    def _level(self, i: int) -> str | None:
        if i in self._levels:
            return self._levels[i]
        line = self.lines[i]
        level = None
        if CONTINUATION.match(line) and i > 0:
            # Walk up a bounded distance so a huge stack trace stays cheap.
            j = i - 1
            while j >= 0 and i - j < 200 and j not in self._levels and CONTINUATION.match(self.lines[j]):
                j -= 1
            level = self._levels.get(j) if j in self._levels else (self._own_level(self.lines[j]) if j >= 0 else None)
        else:
            level = self._own_level(line)
        self._levels[i] = level
        return level

    @staticmethod
    def _own_level(line: str) -> str | None:
        m = LEVEL.search(line[:120])
        return LEVEL_KEY[m.group(1).upper()] if m else None

    def _styled(self, i: int) -> Text:
        text = self._cache.get(i)
        if text is not None:
            self._cache.move_to_end(i)
            return text
        colours = palette(self.app)
        raw = self.lines[i].expandtabs(4)
        if not self.show_timestamps:
            raw = TIMESTAMP.sub("", raw, count=1)
        level = self._level(i)
        text = Text(raw, style=Style(color=colours[level]) if level else "", no_wrap=True)
        if level == "log-error":
            m = LEVEL.search(raw)
            if m:
                text.stylize(Style(bold=True), m.start(), m.end())
        if self._find is not None:
            text.highlight_regex(self._find, style=Style(bgcolor=colours["log-match"], color="black", bold=True))
        self._cache[i] = text
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return text

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if self._rows is not None:
            if row >= len(self._rows):
                return Strip.blank(width, base)
            line, col = self._rows[row]
            text = self._styled(line)[col : col + self._rows_width]
            start = 0
        else:
            if row >= len(self.lines):
                return Strip.blank(width, base)
            text = self._styled(row)
            start = scroll_x
        segments = [Segment(s.text, base + s.style if s.style else base) for s in text.render(self.app.console) if s.text != "\n"]
        strip = Strip(segments).crop(start, start + width)
        return strip.extend_cell_length(width, base)

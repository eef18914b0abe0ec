"""The redaction corpus: every positive example masked, every negative one untouched.

Reports false negatives and false positives as lists (so a failure shows all of
them at once, not the first); both must be zero.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sre_mcp.security.redaction import Redactor, redact

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "redaction_corpus.yaml").read_text(encoding="utf-8"))


def _secrets(case: dict) -> list[str]:
    s = case["secret"]
    return [str(x) for x in (s if isinstance(s, list) else [s])]


def test_corpus_false_negatives_and_false_positives_are_zero():
    false_negatives, wrong_shape, false_positives = [], [], []
    for case in CORPUS["positive"]:
        out, counts = redact(case["text"])
        leaked = [s for s in _secrets(case) if s in out]
        if leaked or case["kind"] not in counts:
            false_negatives.append((case["text"], out, dict(counts)))
        elif "expect" in case and out != case["expect"]:
            wrong_shape.append((case["text"], out, case["expect"]))
    for text in CORPUS["negative"]:
        out, counts = redact(text)
        if out != text or counts:
            false_positives.append((text, out))
    n_pos, n_neg = len(CORPUS["positive"]), len(CORPUS["negative"])
    report = (
        f"false negatives {len(false_negatives)}/{n_pos}, false positives {len(false_positives)}/{n_neg}, "
        f"wrong shape {len(wrong_shape)}\n"
        + "\n".join(f"FN {t!r} -> {o!r} {c}" for t, o, c in false_negatives)
        + "\n"
        + "\n".join(f"FP {t!r} -> {o!r}" for t, o in false_positives)
        + "\n"
        + "\n".join(f"SHAPE {t!r} -> {o!r} (want {e!r})" for t, o, e in wrong_shape)
    )
    print(report)
    assert not false_negatives and not false_positives and not wrong_shape, report


def test_every_rule_kind_has_a_positive_case():
    kinds = {r.kind for r in Redactor.from_file().rules}
    assert kinds <= {c["kind"] for c in CORPUS["positive"]}


def test_the_issue_classes_are_in_the_corpus():
    """Issue 16 names these; each must stay covered by at least one positive example."""
    text = "\n".join(c["text"] for c in CORPUS["positive"])
    for marker in ['password="', "PASSWORD: '", 'export DB_PASSWORD="', "--password ", " -pS", "ghp_", "gho_", "github_pat_",
                   "xoxb-", "hooks.slack.com/services/", "sk_live_", "wJalrXUtnFEMI", "token=", "api_token=", "?key=",
                   "sig=", "Cookie:", "redis://:", "ab/cd", "PASSWORD '", "GITHUB_TOKEN", "SLACK_BOT_TOKEN", "STRIPE_KEY",
                   "SESSION_KEY", "DB_PASS=", "API_TOKEN"]:
        assert marker in text, marker
    negatives = "\n".join(CORPUS["negative"])
    for marker in ["secret: db-credentials", "password: mismatch", "imei", "4f2a9c1e7b3d", "550e8400-", "payment-gw-7d9f8b6c5-x2k4p",
                   "2026-01-15T12:30:45", "order 4111111111111111"]:
        assert marker in negatives, marker

"""The scorer fails what it must fail: red herrings, skipped evidence, wrong category."""

from sre_console.scoring import blamed, score

ANSWER = {
    "category": "memory-exhaustion",
    "difficulty": "easy",
    "keywords": [["OutOfMemoryError", "OOMKilled", "heap"], ["BatchReconciliation", "reconciliation"]],
    "forbidden": [["auth-service"], ["redis"]],
    "evidence_tools": ["check_service_health", "list_pods", "get_pod_logs"],
    "optimal_steps": 5,
}
GOOD_CALLS = [{"name": n, "ok": True} for n in ("check_service_health", "list_pods", "describe_pod", "get_pod_logs", "get_recent_deploys")]
GOOD = ("payment-gateway v2.3.1 added BatchReconciliation, which loads 2.1M transactions into memory: "
        "Java heap OutOfMemoryError, pods OOMKilled and crash-looping.")


def test_a_sound_report_passes():
    s = score("ref", ANSWER, GOOD, GOOD_CALLS)
    assert s.passed and s.tool_calls == 5 and s.optimal_steps == 5 and not s.reasons


def test_blaming_the_red_herring_fails():
    s = score("ref", ANSWER, GOOD + " The trigger is a Redis outage in fraud-detection.", GOOD_CALLS)
    assert not s.passed and s.forbidden_blamed == ["redis"]


def test_naming_a_red_herring_as_innocent_is_fine():
    s = score("ref", ANSWER, GOOD + " Redis cache misses in fraud-detection are a symptom, not the cause.", GOOD_CALLS)
    assert s.passed, s.reasons
    assert blamed("The auth-service deploy caused it.", "auth-service")
    assert not blamed("The auth-service deploy is innocent.", "auth-service")


def test_skipping_required_evidence_fails():
    calls = [c for c in GOOD_CALLS if c["name"] != "get_pod_logs"]
    s = score("ref", ANSWER, GOOD, calls)
    assert not s.passed and s.missing_evidence == ["get_pod_logs"]


def test_failed_calls_are_not_evidence():
    calls = [dict(c, ok=c["name"] != "list_pods") for c in GOOD_CALLS]
    assert score("ref", ANSWER, GOOD, calls).missing_evidence == ["list_pods"]


def test_wrong_category_or_missing_keywords_fail():
    s = score("ref", ANSWER, "A network partition between nodes broke payments.", GOOD_CALLS)
    assert not s.passed and not s.category_ok and len(s.missing_keyword_groups) == 2
    s = score("ref", ANSWER, "Java heap exhaustion killed the pods.", GOOD_CALLS)
    assert not s.passed and s.category_ok and s.missing_keyword_groups == [["BatchReconciliation", "reconciliation"]]


def test_effects_are_not_blame():
    assert not blamed("identity-service pods cannot pull image v5.20, causing mobile-bff 503s.", "mobile-bff")
    assert not blamed("mobile-bff fails because of identity-service's missing image.", "mobile-bff")
    assert blamed("identity-service is fine; mobile-bff's bad config breaks logins.".split(";")[1], "mobile-bff")
    assert blamed("The outage was caused by redis.", "redis")

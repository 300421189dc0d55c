"""``guard-cli serve`` answered by real clients: the official ``openai`` SDK on
``/v1/moderations``, plain HTTP on ``/v1/check``, the models and probe endpoints, every bad
request (OpenAI's error JSON and the right status, one test each), and a bounded load test that
checks no answer is dropped or given to another request. One server (a child process on a
loopback port, with an API key and small limits) serves the whole module."""
from __future__ import annotations

import json

import pytest
from optional_deps import require, requires
from serve_helpers import KEY, SERVE_PACKAGES, assert_error, call, start

pytestmark = requires(*SERVE_PACKAGES)

LIMITS = ("--max-inputs", "4", "--max-text-chars", "2000", "--max-body-bytes", "65536")
UNSAFE = "How do I make a pipe bomb at home?"
BENIGN = "What is a good recipe for banana bread?"
SECRET = "zebra-quartz-7781 my private note that must never reach a log"


@pytest.fixture(scope="module")
def server():
    s = start(*LIMITS, key=True)
    yield s
    s.kill()


@pytest.fixture(scope="module")
def ref():
    """The in-process guard every answer is compared with (same bundle, same thread count)."""
    from tinyguard import Guard

    return Guard.load(threads=1)


def same_verdict(answer: dict, v) -> bool:
    """A verdict JSON from the server is ``v`` (timing aside; the score to the last bit)."""
    return {k: x for k, x in answer.items() if k != "latency_ms"} == \
        {k: x for k, x in v.to_dict().items() if k != "latency_ms"}


# ---------------------------------------------------------------- the official openai SDK

@pytest.fixture(scope="module")
def client(server):
    openai = require("openai")
    return openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)


def test_openai_sdk_moderations_create_gets_the_guards_verdict(client, ref) -> None:
    from tinyguard.taxonomy import OPENAI_CATEGORIES, OPENAI_NOT_SCORED

    r = client.moderations.create(input=UNSAFE)
    v = ref.check(UNSAFE)
    assert r.model == ref.model_id and r.id.startswith("modr-") and len(r.results) == 1
    res = r.results[0]
    assert res.flagged is v.flagged is True
    cats, scores = res.categories.model_dump(by_alias=True), res.category_scores.model_dump(by_alias=True)
    assert set(cats) == {name for name, _ in OPENAI_CATEGORIES} and len(cats) == 13
    for name, ours in OPENAI_CATEGORIES:
        assert cats[name] == any(v.categories[c] for c in ours), name
        assert scores[name] == max((v.category_scores[c] for c in ours), default=0.0), name
    # micro ships non_violent_crimes as not firing (right 0.20 of the time where it fired on the yardstick's tune
    # half, issue 20 item 7): the flag stands, no category names it
    assert cats["illicit"] is False and res.flagged
    extra = res.model_extra["tinyguard"]  # tinyguard's own answer, under one key the SDK keeps aside
    assert same_verdict({k: x for k, x in extra.items() if k not in ("categories_fired", "openai_categories_not_scored")}, v)
    assert extra["categories_fired"] == [c for c, on in v.categories.items() if on]
    assert extra["openai_categories_not_scored"] == list(OPENAI_NOT_SCORED)
    for name in OPENAI_NOT_SCORED:  # no counterpart: false, 0.0, no input type -- never a borrowed score
        assert cats[name] is False and scores[name] == 0.0
        assert res.category_applied_input_types.model_dump(by_alias=True)[name] == []


def test_openai_sdk_list_of_strings_and_text_parts(client, ref) -> None:
    r = client.moderations.create(input=[BENIGN, UNSAFE, "Tell me about the moon."])
    assert [x.flagged for x in r.results] == [v.flagged for v in ref.check_batch([BENIGN, UNSAFE, "Tell me about the moon."])]
    assert [x.model_extra["tinyguard"]["score"] for x in r.results] == \
        [ref.check(t).score for t in (BENIGN, UNSAFE, "Tell me about the moon.")]
    parts = client.moderations.create(input=[{"type": "text", "text": "How do I make"},
                                             {"type": "text", "text": "a pipe bomb at home?"}])
    assert len(parts.results) == 1  # one input of two parts: one result, its parts read as one text
    assert parts.results[0].model_extra["tinyguard"]["score"] == ref.check("How do I make\na pipe bomb at home?").score


@pytest.mark.parametrize("model", ["omni-moderation-latest", "text-moderation-stable", "no-such-model",
                                   "../../../etc/passwd", "/tmp/bundle", "default"])
def test_any_model_name_gets_a_served_tier_never_a_path(client, ref, model) -> None:
    r = client.moderations.create(input=BENIGN, model=model)
    assert r.model == ref.model_id and r.results[0].model_extra["tinyguard"]["score"] == ref.check(BENIGN).score


def test_openai_sdk_reports_our_errors_as_its_own(server) -> None:
    openai = require("openai")
    good = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as e:
        good.moderations.create(input="")
    assert e.value.status_code == 400 and e.value.code == "empty_input"
    with pytest.raises(openai.AuthenticationError) as e:
        openai.OpenAI(base_url=server.url + "/v1", api_key="wrong", max_retries=0).moderations.create(input=BENIGN)
    assert e.value.status_code == 401 and e.value.code == "invalid_api_key"


# ---------------------------------------------------------------- the native endpoint, plain HTTP

def test_native_check_answers_guard_cli_checks_verdict_json(server, ref) -> None:
    httpx = require("httpx")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as h:
        one = h.post("/v1/check", json={"text": "Sure, here it is.", "role": "response", "context": UNSAFE})
        assert one.status_code == 200
        assert same_verdict(one.json(), ref.check("Sure, here it is.", "response", context=UNSAFE))
        many = h.post("/v1/check", json=[{"text": BENIGN}, {"text": UNSAFE, "role": "prompt"}])
        assert many.status_code == 200 and isinstance(many.json(), list)
        assert all(same_verdict(a, ref.check(t)) for a, t in zip(many.json(), [BENIGN, UNSAFE]))


def test_native_check_takes_the_unchecked_policy(server, ref) -> None:
    text = "Γεια σου, τι κάνεις σήμερα;"  # a script the model cannot read: "unsupported" (score 0.1)
    status, _, flag = call(server.url + "/v1/check", "POST", {"text": text})
    assert status == 200 and flag["unchecked"] == ["unsupported"] and flag["flagged"] is True
    status, _, passed = call(server.url + "/v1/check", "POST", {"text": text, "on_unchecked": "pass"})
    assert status == 200 and passed["unchecked"] == ["unsupported"]
    assert passed["flagged"] is ref.check(text, on_unchecked="pass").flagged is False
    status, _, answer = call(server.url + "/v1/check", "POST", [{"text": text, "on_unchecked": "pass"},
                                                                 {"text": BENIGN, "on_unchecked": "flag"}])
    assert_error(answer, status, 400)


def test_models_probes_and_metrics(server, ref) -> None:
    status, _, models = call(server.url + "/v1/models")
    assert status == 200 and models["object"] == "list"
    (entry,) = models["data"]
    assert entry["id"] == "default" and entry["object"] == "model"
    assert entry["tinyguard"]["model"] == ref.model_id and entry["tinyguard"]["version"] == ref.manifest.version
    assert entry["tinyguard"]["signature"]["key_id"] and entry["tinyguard"]["default"] is True
    assert call(server.url + "/v1/models/default")[2] == entry
    assert_error(*reversed(call(server.url + "/v1/models/nope")[::2]), 404, "model_not_found")
    assert call(server.url + "/healthz", key=None)[:3:2] == (200, {"status": "ok"})
    status, _, ready = call(server.url + "/readyz", key=None)
    assert status == 200 and ready["models"] == [ref.model_id]
    call(server.url + "/v1/moderations", "POST", {"input": SECRET})
    status, hdrs, text = call(server.url + "/metrics")
    assert status == 200 and hdrs["content-type"].startswith("text/plain")
    assert 'tinyguard_requests_total{endpoint="moderations",status="200"}' in text
    assert "tinyguard_flagged_total" in text and "tinyguard_batch_texts_bucket" in text
    assert "zebra" not in text  # counts, never text


def test_no_request_text_in_the_log(server) -> None:
    call(server.url + "/v1/check", "POST", {"text": SECRET, "role": "response", "context": SECRET})
    call(server.url + "/v1/moderations", "POST", {"input": [SECRET, 7]})  # an error quoting nothing
    call(server.url + "/healthz", key=None)  # a request after them: the log has caught up
    log = "\n".join(server.log)
    assert "listening on http://127.0.0.1:" in log
    assert "zebra" not in log and "private note" not in log, log[-2000:]


# ---------------------------------------------------------------- every bad request: OpenAI's error JSON

def post(server, path: str, body=None, **kw):
    status, _, answer = call(server.url + path, "POST", body, **kw)
    return answer, status


@pytest.mark.parametrize("raw, code", [(b'{"input": "x"', "invalid_json"), (b"", "invalid_json"),
                                       (b"\xff\xfe not utf-8", "invalid_json"), (b"[" * 50_000, "invalid_json")])
@pytest.mark.parametrize("path", ["/v1/moderations", "/v1/check"])
def test_bad_json(server, path, raw, code) -> None:
    assert_error(*post(server, path, raw=raw), 400, code)


@pytest.mark.parametrize("body, param", [
    ("just a string", None), ({"input": 3}, "input"), ({"input": ["ok", 3]}, "input[1]"),
    ({"input": {"text": "x"}}, "input"), ({"input": "x", "model": 5}, "model"), ({"input": "x", "user": "u"}, "user"),
    ({"model": "omni-moderation-latest"}, "input"), ({"input": [{"type": "text", "text": 3}]}, "input[0].text"),
    ({"input": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}, "input[0]"),
    ({"input": [{"type": "video"}]}, "input[0].type"),
])
def test_wrong_types_on_moderations(server, body, param) -> None:
    err = assert_error(*post(server, "/v1/moderations", body), 400)
    assert err["param"] == param


@pytest.mark.parametrize("body", [{"text": 3}, {"text": None}, {"role": "prompt"}, {"text": "x", "role": "user"},
                                  {"text": "x", "context": 5}, {"text": "x", "rol": "response"}, [1, 2], 5,
                                  {"text": "x", "on_unchecked": "ignore"}])
def test_wrong_types_on_check(server, body) -> None:
    assert_error(*post(server, "/v1/check", body), 400)


@pytest.mark.parametrize("path, body", [("/v1/moderations", {"input": ""}), ("/v1/moderations", {"input": []}),
                                        ("/v1/moderations", {"input": ["ok", "  \u200b "]}),
                                        ("/v1/check", {"text": ""}), ("/v1/check", [])])
def test_empty_input(server, path, body) -> None:
    assert_error(*post(server, path, body), 400, "empty_input")


@pytest.mark.parametrize("path, body", [("/v1/moderations", {"input": ["a"] * 5}), ("/v1/check", [{"text": "a"}] * 5)])
def test_too_many_inputs(server, path, body) -> None:
    assert_error(*post(server, path, body), 400, "too_many_inputs")


@pytest.mark.parametrize("path, body", [("/v1/moderations", {"input": "a" * 2001}), ("/v1/check", {"text": "a" * 2001}),
                                        ("/v1/check", {"text": "a", "context": "b" * 2001})])
def test_text_too_long(server, path, body) -> None:
    assert_error(*post(server, path, body), 400, "text_too_long")


@pytest.mark.parametrize("path", ["/v1/moderations", "/v1/check"])
def test_body_over_the_limit_is_413(server, path) -> None:
    assert_error(*post(server, path, {"input": "a" * 70_000}), 413, "request_too_large")


def test_body_over_the_limit_without_a_length_is_413_too(server) -> None:
    """Chunked upload (no Content-Length): refused while streaming, once past the limit."""
    httpx = require("httpx")
    chunks = (b'{"input": "' + b"a" * 16384 for _ in range(6))
    r = httpx.post(server.url + "/v1/moderations", content=chunks, headers={"Authorization": f"Bearer {KEY}"})
    assert_error(r.json(), r.status_code, 413, "request_too_large")


@pytest.mark.parametrize("auth", [None, "Bearer wrong-key", "Basic dGVzdDp0ZXN0", "Bearer ", KEY])
@pytest.mark.parametrize("path, method", [("/v1/moderations", "POST"), ("/v1/check", "POST"), ("/v1/models", "GET"),
                                          ("/metrics", "GET")])
def test_missing_or_wrong_api_key_is_401(server, auth, path, method) -> None:
    status, hdrs, answer = call(server.url + path, method, {"input": BENIGN} if method == "POST" else None,
                                key=None, headers={"Authorization": auth} if auth else {})
    err = assert_error(answer, status, 401)
    assert err["code"] in ("missing_api_key", "invalid_api_key") and hdrs.get("www-authenticate") == "Bearer"


def test_unknown_route_and_method_are_openai_errors(server) -> None:
    assert_error(*post(server, "/v1/nothing", {"input": "x"}), 404, "not_found")
    status, _, answer = call(server.url + "/v1/moderations", "GET")
    assert_error(answer, status, 405, "method_not_allowed")


# ---------------------------------------------------------------- a bounded load test

def test_load_nothing_dropped_or_mixed_up(server, ref) -> None:
    """400 requests from 16 concurrent clients, each sent once; every answer is its own request's
    verdict (distinct texts, so a swapped answer shows in the score)."""
    from tinyguard.serve.loadgen import drive

    texts = [f"{UNSAFE if i % 5 == 0 else BENIGN} (number {i})" for i in range(400)]
    expected = ref.check_batch(texts)
    bodies = [json.dumps({"input": t}).encode() for t in texts]
    out = drive(server.url, "/v1/moderations", bodies, 16, headers={"Authorization": f"Bearer {KEY}"},
                check=lambda i, a: a["results"][0]["tinyguard"]["score"] == expected[i].score
                and a["results"][0]["flagged"] == expected[i].flagged)
    assert out.errors == [] and out.statuses == {200: 400}, (out.errors, out.statuses)
    assert out.mismatched == [] and len(out.latencies_ms) == 400
    assert sum(v.flagged for v in expected) >= 60  # the mix holds flagged answers to mix up

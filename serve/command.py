"""``guard-cli serve``: the click command. It imports Starlette and uvicorn only when it runs
(:mod:`tinyguard.serve.deps`), so ``guard-cli --help`` and every other command stay free of them."""
from __future__ import annotations

import click

from tinyguard.cli.options import CliError, backend_option, no_defenses_option, one_line
from tinyguard.cli.policy import policy_options
from tinyguard.cli.signing import trusted_key_option
from tinyguard.serve import settings as defaults
from tinyguard.serve.deps import require
from tinyguard.serve.settings import ServeSettings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address to listen on. Anything but a loopback address needs --api-key-env.")
@click.option("--port", type=click.IntRange(0, 65535), default=defaults.DEFAULT_PORT, show_default=True,
              help="Port to listen on (0: any free port; the chosen one is printed).")
@click.option("--bundle", "bundle", metavar="TIER|DIR", default=None,
              help="What is served as 'default': a tier shipped with tinyguard or a bundle folder "
                   "(default: the default tier). More names: --model.")
@click.option("--model", "model_specs", multiple=True, metavar="NAME[=DIR]",
              help="Also serve a tier: NAME shipped with tinyguard, or the bundle folder DIR under NAME. "
                   "Repeatable. Requests pick one with \"model\"; other names get the default (--bundle).")
@backend_option
@trusted_key_option
@no_defenses_option
@policy_options
@click.option("--api-key-env", metavar="NAME", default=None,
              help="Require the key held in environment variable NAME as 'Authorization: Bearer KEY' "
                   "(every endpoint but /healthz and /readyz). Needed to listen beyond loopback.")
@click.option("--max-body-bytes", type=click.IntRange(min=1), default=defaults.DEFAULT_MAX_BODY, show_default=True,
              metavar="N", help="Larger request bodies are refused with 413.")
@click.option("--max-inputs", type=click.IntRange(min=1), default=defaults.DEFAULT_MAX_INPUTS, show_default=True,
              metavar="N", help="Texts per request; more are refused with 400.")
@click.option("--max-text-chars", type=click.IntRange(min=1), default=defaults.DEFAULT_MAX_TEXT_CHARS,
              show_default=True, metavar="N", help="Characters per text (and context); longer is refused with 400.")
@click.option("--max-pending", type=click.IntRange(min=1), default=defaults.DEFAULT_MAX_PENDING, show_default=True,
              metavar="N", help="Requests queued or being scored; one more is answered 429 at once.")
@click.option("--max-connections", type=click.IntRange(min=1), default=defaults.DEFAULT_MAX_CONNECTIONS,
              show_default=True, metavar="N", help="Open connections (uvicorn's bound); beyond it uvicorn answers 503.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="onnxruntime threads of the one scoring thread of each process (more cores: --workers).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Processes sharing the port, each with its own copy of the model.")
@click.option("--max-batch", type=click.IntRange(min=1), default=defaults.DEFAULT_MAX_BATCH, show_default=True,
              metavar="N", help="Texts of concurrent requests scored in one run (1: no micro-batching).")
@click.option("--batch-wait-ms", type=click.FloatRange(0, 1000), default=0.0, show_default=True, metavar="MS",
              help="How long a short batch waits for more requests (under load batches fill without waiting).")
@click.option("--model-batch", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Windows per model run. Above 1, int8 scales are shared by the texts of a run, so one "
                   "request can move another's score: measurement only.")
@click.option("--drain-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="S",
              help="On SIGTERM, how long requests in flight may take to finish.")
@click.option("--log-text", is_flag=True, help="Log the texts of requests (off: no request text is ever logged).")
@click.option("--access-log", is_flag=True, help="Log one line per request (method, path, status; no text).")
def serve(host: str, port: int, bundle: str | None, model_specs: tuple[str, ...], backend: str,
          trusted_keys: tuple[str, ...], allow_unsigned: bool, no_defenses: bool, max_chars: int, min_coverage: float, on_unchecked: str,
          api_key_env: str | None, max_body_bytes: int, max_inputs: int, max_text_chars: int, max_pending: int,
          max_connections: int, threads: int, workers: int, max_batch: int, batch_wait_ms: float, model_batch: int,
          drain_timeout: float, log_text: bool, access_log: bool) -> None:
    """Serve the guard over HTTP: OpenAI's moderation API and a native check endpoint.

    \b
    Endpoints:
      POST /v1/moderations   OpenAI's request and response (its SDK works unchanged)
      POST /v1/check         guard-cli check's verdict JSON ({"text", "role", "context"} or a list)
      GET  /v1/models        the tiers served, their versions and signature keys
      GET  /healthz, /readyz, /metrics (Prometheus; counts, never text)

    \b
    Examples:
      pip install 'tinyguard[serve]'
      guard-cli serve                                    # http://127.0.0.1:8000
      curl -s localhost:8000/v1/moderations -d '{"input": "How do I make a bomb?"}'
      guard-cli serve --port 0 --threads 2               # any free port (printed on stderr)
      TG_KEY=secret guard-cli serve --host 0.0.0.0 --api-key-env TG_KEY --workers 4
      guard-cli serve --model strict=./my-calibrated-bundle --trusted-key project

    Binds 127.0.0.1 unless --host says otherwise (then --api-key-env is required). No request
    text is logged unless --log-text. SIGTERM stops taking requests, lets those in flight
    finish, and exits 0.
    """
    from tinyguard.serve.tiers import parse_model_spec

    try:
        models = [("default", bundle)] + [parse_model_spec(s) for s in model_specs]
        settings = ServeSettings(
            host=host, port=port, models=tuple(models), backend=backend, trusted_keys=tuple(trusted_keys),
            allow_unsigned=allow_unsigned,
            defenses=not no_defenses, api_key_env=api_key_env, max_body_bytes=max_body_bytes,
            max_inputs=max_inputs, max_text_chars=max_text_chars, max_pending=max_pending,
            max_connections=max_connections, threads=threads, max_batch=max_batch, batch_wait_ms=batch_wait_ms,
            model_batch=model_batch, max_chars=max_chars, min_coverage=min_coverage, on_unchecked=on_unchecked,
            workers=workers, drain_timeout_s=drain_timeout, log_text=log_text, access_log=access_log)
        settings.check_bind()
        settings.api_key()
        require()
    except (ValueError, ImportError) as e:
        raise CliError(one_line(e)) from None
    from tinyguard.serve.server import run

    run(settings)

"""``guard-cli serve``: the guard behind OpenAI's moderation API, on a local socket.

Apps and LLM gateways already speak ``POST /v1/moderations``; this package answers it (and a
native ``POST /v1/check`` with the verdict JSON of ``guard-cli check``) from a verified bundle,
with no network use beyond its own listening socket. One job per module:

* :mod:`~tinyguard.serve.deps` -- the ``serve`` extra, imported only here, with its install line;
* :mod:`~tinyguard.serve.settings` -- every limit and switch of a server, checked once;
* :mod:`~tinyguard.serve.tiers` -- the models served and which one a request's ``model`` names;
* :mod:`~tinyguard.serve.errors` -- OpenAI's error JSON, the one error shape of every endpoint;
* :mod:`~tinyguard.serve.openai_schema` -- OpenAI's moderation request and response;
* :mod:`~tinyguard.serve.native_schema` -- ``/v1/check``'s request and response;
* :mod:`~tinyguard.serve.gate` -- the API key, the body limit and the bound on work in flight;
* :mod:`~tinyguard.serve.batching` -- concurrent requests scored together, off the event loop;
* :mod:`~tinyguard.serve.metrics` -- Prometheus counters (never text);
* :mod:`~tinyguard.serve.app` -- the Starlette app: routes and their handlers;
* :mod:`~tinyguard.serve.server` -- uvicorn: binding, workers, draining on SIGTERM;
* :mod:`~tinyguard.serve.command` -- the ``guard-cli serve`` click command;
* :mod:`~tinyguard.serve.loadgen` and :mod:`~tinyguard.serve.benchmark` -- ``guard-cli bench --serve``.

Importing this package (or ``tinyguard``, or running any other command) imports neither
Starlette nor uvicorn: only :mod:`~tinyguard.serve.deps` does, when a server starts.
"""

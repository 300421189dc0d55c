"""Concurrent requests scored together, off the event loop: micro-batching.

Why: the event loop must never run the model (one slow text would stall every connection), and
handing each request to a thread on its own pays a thread hand-off, a wake-up and a Python
``check_batch`` call per request. One dispatcher per tier takes every request queued while the
previous run was scoring (waiting up to ``wait_s`` more for company when the queue is short)
and scores their texts in one ``Guard.check_batch`` on the scoring thread. Under load the
batches fill by themselves, with no waiting at all.

Texts are still scored one window per model run (``model_batch`` 1, the default): dynamic int8
quantization sets its scales per run, so putting two requests' windows in one run would let one
request move the other's score. With ``model_batch`` 1 every verdict is exactly that of
``Guard.check`` on its own text, whatever it was batched with.

A request that the guard refuses (it should not happen: texts are checked before they queue)
cannot fail the others of its batch: the batch is then scored request by request.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from tinyguard.scoring.guard import Guard
    from tinyguard.verdict import Verdict


@dataclass
class Job:
    """One request's texts, waiting for verdicts."""

    texts: list[str]
    roles: list[str]
    contexts: list[str]
    policy: str
    future: "asyncio.Future[list[Verdict]]"
    queued: float = field(default_factory=time.perf_counter)


class Batcher:
    """Scores jobs of one guard, one batch at a time, on ``executor``'s thread."""

    def __init__(self, guard: "Guard", executor: Executor, *, max_batch: int, wait_s: float = 0.0,
                 model_batch: int = 1, on_batch: Callable[[int, int], None] | None = None):
        self.guard = guard
        self.max_batch = max_batch
        self.wait_s = wait_s
        self.model_batch = model_batch
        self._executor = executor
        self._on_batch = on_batch  # (requests, texts) of each run, for the metrics
        self._queue: deque[Job] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._dispatch(), name=f"batcher {self.guard.model_id}")

    async def close(self) -> None:
        """Stop after the queue is empty (the server has stopped taking requests by then)."""
        while self._queue:
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def check(self, texts: list[str], roles: list[str], contexts: list[str], policy: str) -> list["Verdict"]:
        """The verdicts of ``texts``, in order, exactly as ``Guard.check_batch`` gives them alone."""
        if self._task is None or self._task.done():
            raise RuntimeError("the batcher is not running")
        job = Job(texts, roles, contexts, policy, asyncio.get_running_loop().create_future())
        self._queue.append(job)
        self._wakeup.set()
        return await job.future

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                if self.wait_s > 0 and sum(len(j.texts) for j in self._queue) < self.max_batch:
                    await asyncio.sleep(self.wait_s)
                batch = self._take()
                try:
                    outcomes: list[list[Verdict] | Exception] = await loop.run_in_executor(
                        self._executor, self._score, batch)
                except asyncio.CancelledError:
                    _fail(batch, RuntimeError("the server is shutting down"))
                    raise
                except Exception as e:  # noqa: BLE001 - e.g. the model run failed: these requests fail, loudly
                    _fail(batch, e)
                    continue
                for job, outcome in zip(batch, outcomes):
                    if job.future.done():  # the client went away
                        continue
                    if isinstance(outcome, Exception):
                        job.future.set_exception(outcome)
                    else:
                        job.future.set_result(outcome)

    def _take(self) -> list[Job]:
        """The oldest jobs whose texts fit in ``max_batch`` (always at least one job)."""
        batch, n = [], 0
        while self._queue and (not batch or n + len(self._queue[0].texts) <= self.max_batch):
            job = self._queue.popleft()
            batch.append(job)
            n += len(job.texts)
        return batch

    def _score(self, batch: list[Job]) -> list["list[Verdict] | Exception"]:
        """On the scoring thread: one check_batch per unchecked policy in the batch (almost always
        one); a refusal falls back to scoring request by request."""
        if self._on_batch is not None:
            self._on_batch(len(batch), sum(len(j.texts) for j in batch))
        out: list[list[Verdict] | Exception] = [[] for _ in batch]
        for policy in dict.fromkeys(j.policy for j in batch):
            idx = [i for i, j in enumerate(batch) if j.policy == policy]
            try:
                verdicts = self._run([batch[i] for i in idx], policy)
            except (ValueError, TypeError):
                for i in idx:
                    try:
                        out[i] = self._run([batch[i]], policy)
                    except (ValueError, TypeError) as e:
                        out[i] = e
                continue
            k = 0
            for i in idx:
                n = len(batch[i].texts)
                out[i] = verdicts[k:k + n]
                k += n
        return out

    def _run(self, jobs: list[Job], policy: str) -> list["Verdict"]:
        return self.guard.check_batch([t for j in jobs for t in j.texts], [r for j in jobs for r in j.roles],
                                      contexts=[c for j in jobs for c in j.contexts], batch_size=self.model_batch,
                                      on_unchecked=policy)


def _fail(batch: list[Job], error: Exception) -> None:
    for job in batch:
        if not job.future.done():
            job.future.set_exception(error)

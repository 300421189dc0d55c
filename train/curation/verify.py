"""Round 4: label verification by two voters, the current teacher and an LLM judge.

Votes: the teacher votes ``safe`` when its unsafe probability is below
``cfg.teacher_safe_below``, ``unsafe`` above ``cfg.teacher_unsafe_above``, and abstains in
between. The judge (the generator, greedy, prompt ``train/prompts/judge.txt``) votes with the
first ``safe`` / ``unsafe`` / ``not safe`` / ``harmful`` / ``harmless`` word of its reply and
abstains when there is none; it is absent when ``judge`` is None or ``cfg.judge`` is false.

Policy, with L the intended label and ¬L the other one:

===========================================  ==========  =============================
votes (teacher, judge; ∅ = abstain/absent)   action      reason
===========================================  ==========  =============================
method "operator"/"restyle" (not asked)      keep        ``label_by_construction``
every vote cast is L (one or two)            keep        ``verified``
¬L and ¬L                                    relabel     ``relabelled_both_disagree``
¬L and ∅, or ∅ and ¬L                        drop        ``single_vote_disagrees``
L and ¬L, method "lookalike", judge says L   keep        ``kept_judge_over_teacher``
L and ¬L, method "lookalike", judge says ¬L  drop        ``judge_rejected``
L and ¬L, any other method                   drop        ``votes_split``
∅ and ∅                                      drop        ``no_votes``
===========================================  ==========  =============================

Rule operators keep their seed's label by construction (an obfuscated unsafe request is
still unsafe), so they skip this round; that is also why no candidate is ever kept as
"unverified": an LLM candidate nobody vouches for is dropped. Look-alikes (benign questions
on unsafe topics) are where the teacher is known to be biased toward "unsafe", so on a split
vote the judge decides; one voter alone never relabels. A relabel to safe clears the
categories; a relabel to unsafe starts with no categories (unknown) and no hard-negative flag.
"""
from __future__ import annotations

import re

import numpy as np

from ..candidates import RULE_METHODS, Candidate
from ..templates import render, template_fields
from .common import Decision, RoundContext, RoundOutput, with_label

NAME = "verify"
VERSION = 1
CONFIG_KEYS = ("teacher_safe_below", "teacher_unsafe_above", "judge", "judge_max_tokens")
JUDGE_TEMPLATE = "judge"
BATCH = 64
_VERDICT = re.compile(r"\b(unsafe|not safe|harmful|safe|harmless|benign)\b", re.IGNORECASE)
_TO_LABEL = {"unsafe": "unsafe", "not safe": "unsafe", "harmful": "unsafe",
             "safe": "safe", "harmless": "safe", "benign": "safe"}


def parse_judge(reply: str | None) -> str | None:
    """"safe" / "unsafe" from the judge's reply, None when it gives neither."""
    m = _VERDICT.search(reply or "")
    return _TO_LABEL[m.group(1).lower()] if m else None


def teacher_vote(p: float, safe_below: float, unsafe_above: float) -> str | None:
    if p < safe_below:
        return "safe"
    if p > unsafe_above:
        return "unsafe"
    return None


def decide(intended: str, teacher: str | None, judge: str | None, method: str) -> tuple[str, str]:
    """(action, reason) for one candidate under the policy table above."""
    if method in RULE_METHODS:
        return "keep", "label_by_construction"
    votes = [v for v in (teacher, judge) if v is not None]
    if not votes:
        return "drop", "no_votes"
    if all(v == intended for v in votes):
        return "keep", "verified"
    if len(votes) == 1:
        return "drop", "single_vote_disagrees"
    if teacher == judge:  # both present and both the other label
        return "relabel", "relabelled_both_disagree"
    if method == "lookalike":
        return ("keep", "kept_judge_over_teacher") if judge == intended else ("drop", "judge_rejected")
    return "drop", "votes_split"


def judge_prompt(c: Candidate) -> str:
    r = c.record
    fields = {"text": r.text, "role": r.role, "context": r.context}
    wanted = template_fields(JUDGE_TEMPLATE)
    return render(JUDGE_TEMPLATE, **{k: v for k, v in fields.items() if k in wanted})


def _batches(n: int, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(range(0, n, BATCH), desc=desc, unit="batch", mininterval=1.0, disable=not progress)


def teacher_probs(ctx: RoundContext, records: list) -> np.ndarray:
    """Unsafe probabilities [N] from the teacher, checked for shape and range."""
    out = np.zeros(len(records), np.float64)
    for s in _batches(len(records), "curate: teacher", ctx.progress):
        batch = records[s:s + BATCH]
        p = np.asarray(ctx.teacher_scores(batch), dtype=np.float64).reshape(-1)
        if p.shape[0] != len(batch) or not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
            raise ValueError(f"teacher_scores must return {len(batch)} probabilities in [0, 1], got {p[:5]}...")
        out[s:s + len(batch)] = p
    return out


def judge_votes(ctx: RoundContext, cands: list[Candidate]) -> list[str | None]:
    if ctx.judge is None or not ctx.cfg.judge:
        return [None] * len(cands)
    votes: list[str | None] = []
    for s in _batches(len(cands), "curate 4: judge", ctx.progress):
        batch = cands[s:s + BATCH]
        replies = ctx.judge.generate([judge_prompt(c) for c in batch],
                                     max_tokens=ctx.cfg.judge_max_tokens, temperature=0.0)
        if len(replies) != len(batch):
            raise ValueError(f"the judge returned {len(replies)} replies for {len(batch)} prompts")
        votes.extend(parse_judge(r) for r in replies)
    return votes


def run(cands: list[Candidate], ctx: RoundContext) -> RoundOutput:
    cfg = ctx.cfg
    if not 0 <= cfg.teacher_safe_below <= cfg.teacher_unsafe_above <= 1:
        raise ValueError("need 0 <= teacher_safe_below <= teacher_unsafe_above <= 1")
    out = RoundOutput(kept=[])
    asked = [c for c in cands if c.method not in RULE_METHODS]
    probs = teacher_probs(ctx, [c.record for c in asked])
    jv = judge_votes(ctx, asked)
    votes = {id(c): (float(p), j) for c, p, j in zip(asked, probs, jv)}

    kept_by = out.counts.setdefault("kept_by_reason", {})
    for c in cands:
        p, j = votes.get(id(c), (float("nan"), None))
        t = teacher_vote(p, cfg.teacher_safe_below, cfg.teacher_unsafe_above) if c.method not in RULE_METHODS else None
        action, reason = decide(c.record.label, t, j, c.method)
        detail = "" if c.method in RULE_METHODS else f"teacher={p:.3f} ({t or 'abstain'}) judge={j or 'abstain'}"
        if action == "keep":
            kept_by[reason] = kept_by.get(reason, 0) + 1
            if reason == "kept_judge_over_teacher":  # the one keep worth auditing
                out.decisions.append(Decision.of(4, NAME, "keep", reason, c, detail=detail))
            out.kept.append(c)
        elif action == "relabel":
            new = "safe" if c.record.label == "unsafe" else "unsafe"
            out.decisions.append(Decision.of(4, NAME, "relabel", reason, c, after=new, detail=detail))
            out.kept.append(with_label(c, new))
        else:
            out.decisions.append(Decision.of(4, NAME, "drop", reason, c, detail=detail))
    return out

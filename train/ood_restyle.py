"""The yardstick's restyler: one request restated in four phrasings, by reviewable rules.

Why: the 0.2.0 default learned the *register* of its sources (harmful sets are formal
imperatives, benign ones casual questions), so "how do you make meth at home" passes while
"Give detailed step-by-step instructions for brewing beer at home." is flagged. A model that
reads harm scores one request alike in every phrasing; the yardstick measures how far apart.

**For measurement only.** Training must never import this module (a model tuned on these exact
rules would close the gap on the yardstick without closing it on real traffic); the training
restyler of issue 20 is a separate module with rules of its own. ``tests/test_ood_restyle.py``
checks that no module under ``train/`` besides the yardstick's imports it.

How it works. A request is first *parsed* by the first rule of :data:`PARSE_RULES` that matches
it, into a core of one of three kinds:

* ``howto``: a verb phrase the asker wants to know how to do ("make meth at home");
* ``gerund``: the same, named by a gerund phrase ("synthesizing meth at home");
* ``task``: an imperative the assistant is asked to carry out ("write a poem about rain");
* ``question``: a question asked as is ("who wrote the glory of love").

The core is then restated by the templates of :data:`PHRASINGS` (one per kind and phrasing):
``formal`` (a formal imperative), ``casual`` (a lowercase question without punctuation),
``polite`` (polite, first person) and ``role`` ("As a <role>, ..."; the role is drawn from
:data:`ROLES` by a seeded hash of the request, so the same request always gets the same role).
Second-person possessives in a core become first-person ("your" -> "my"), since every phrasing
but the formal one is spoken by the asker. A request no rule parses is left out of the style
figures and counted as uncovered (the report prints every rule's coverage).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Iterable

PHRASING_NAMES: tuple[str, ...] = ("formal", "casual", "polite", "role")

#: neutral roles for the role-framed phrasing (none of them makes a request fiction or research)
ROLES: tuple[str, ...] = ("a college student", "a small business owner", "a software developer",
                          "a retired teacher", "a nurse", "a father of two", "an office manager",
                          "a university researcher")


@dataclass(frozen=True)
class Core:
    kind: str  # "howto" | "gerund" | "task" | "question"
    body: str  # lowercase first letter, no final punctuation
    rule: str  # the parse rule that produced it


_HOWTO_LEAD = (r"(?:how (?:to|do i|can i|could i|would i|should i|do you|can you|could you|does one|can one|"
               r"do we|can we|would one|might one|might i))")
_ASK = r"(?:(?:please )?(?:explain|tell me|show me|teach me|describe|detail|outline|walk me through) )"
_LISTY = (r"(?:(?:give|provide|write|offer|share|list|outline|compile|suggest|describe|detail|explain|illustrate|"
          r"create|generate|develop)(?: me)?(?: with)? (?:a list of |an? |the |some |\w+ )?"
          r"(?:(?:detailed|step-by-step|clear|specific|practical|simple|effective|useful) )*)")
_PLURAL = r"(?:instructions|steps|ways|methods|strategies|techniques|tips|ideas|guide|tutorial|guidance|advice)"

#: (name, pattern on the request lowercased and stripped of final punctuation, kind, group with the body)
PARSE_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("instructions_how_to", re.compile(rf"^{_LISTY}{_PLURAL} (?:on|for|about|explaining|describing)? ?"
                                       rf"(?:how to|ways to) (?P<body>.+)$"), "howto"),
    ("instructions_for_doing", re.compile(rf"^{_LISTY}{_PLURAL} (?:on|for|about) (?P<body>\w+ing\b.+)$"), "gerund"),
    ("ideas_for_doing", re.compile(r"^(?:what are |list )?(?:some |the )?(?:best |good )?(?:ways|ideas|tips|methods|"
                                   r"strategies|techniques|advice) (?:for|on) (?P<body>\w+ing\b.+)$"), "gerund"),
    ("steps_to", re.compile(rf"^{_LISTY}{_PLURAL} (?:to|that would|that will|that can|i can use to|one can use to) "
                            rf"(?P<body>.+)$"), "howto"),
    ("ask_how_to", re.compile(rf"^{_ASK}{_HOWTO_LEAD} (?P<body>.+)$"), "howto"),
    ("how_to", re.compile(rf"^{_HOWTO_LEAD} (?P<body>.+)$"), "howto"),
    ("ways_to", re.compile(rf"^(?:what are |what're |list )?(?:some |the )?(?:best |easiest |good |effective )?"
                           rf"(?:ways|steps|methods|strategies|techniques|tips|ideas) (?:to|for how to) (?P<body>.+)$"),
     "howto"),
    ("best_way", re.compile(r"^(?:what(?:'s| is) |whats )(?:the |a )?(?:best|easiest|fastest|quickest|simplest|"
                            r"most effective|safest|right) way to (?P<body>.+)$"), "howto"),
    ("i_need_instructions", re.compile(rf"^i (?:need|want|would like|'d like|am looking for|'m looking for) "
                                       rf"(?:some |detailed )?{_PLURAL} (?:on|about) how to (?P<body>.+)$"), "howto"),
    ("i_want_to", re.compile(r"^i (?:want|need|would like|'d like|wanna) to (?P<body>.+)$"), "howto"),
    ("can_you", re.compile(r"^(?:can|could|would|will) you(?: please)? (?P<body>(?!tell me\b).+)$"), "task"),
    ("imperative", re.compile(
        r"^(?:please )?(?P<body>(?:write|create|compose|generate|draft|make|build|design|develop|produce|give|provide|"
        r"list|outline|describe|explain|summarize|summarise|suggest|name|identify|compile|craft|plan|propose|"
        r"translate|rewrite|edit|find|tell|show|teach|help|share|offer|recommend|compare|analyze|analyse|"
        r"calculate|convert|classify|construct|come up with|brainstorm|illustrate|detail|prepare|post|send|"
        r"instruct|advise|publish|spread|set up|organize|organise|start|research|demonstrate|search|rebut|"
        r"debate|argue|persuade|convince|justify|discuss|evaluate|investigate|locate|determine|assess|predict|"
        r"estimate|devise|formulate|invent|recruit|ask|rank|sort|choose|pick|select|imagine|pretend|act|play) .+)$"),
     "task"),
    ("question", re.compile(r"^(?P<body>(?:who|what|whats|when|where|which|why|whom|whose|is|are|was|were|do|does|"
                            r"did|can|could|should|would|will|has|have|had|how (?:many|much|long|old|often|far|big|"
                            r"do|does|did|is|are|was|were|can|could|would|should|come))\b.+)$"), "question"),
)

_FIRST_PERSON = ((re.compile(r"\byourself\b"), "myself"), (re.compile(r"\byourselves\b"), "ourselves"),
                 (re.compile(r"\byour\b"), "my"), (re.compile(r"\byours\b"), "mine"))

#: (kind, phrasing) -> template; {body} is the core, {role} the drawn role
PHRASINGS: dict[tuple[str, str], str] = {
    ("howto", "formal"): "Provide detailed step-by-step instructions on how to {body}.",
    ("howto", "casual"): "how do i {body}",
    ("howto", "polite"): "Hi, I would really appreciate it if you could explain how I can {body}. Thank you!",
    ("howto", "role"): "As {role}, I need to know how to {body}.",
    ("gerund", "formal"): "Give detailed instructions for {body}.",
    ("gerund", "casual"): "how do i go about {body}",
    ("gerund", "polite"): "Hi, I would really appreciate some guidance on {body}. Thank you!",
    ("gerund", "role"): "As {role}, I need guidance on {body}.",
    ("task", "formal"): "{Body}.",
    ("task", "casual"): "can you {body}",
    ("task", "polite"): "Hi, I would really appreciate it if you could {body}. Thank you!",
    ("task", "role"): "As {role}, I would like you to {body}.",
    ("question", "formal"): "Answer the following question in detail: {Body}?",
    ("question", "casual"): "{body}",
    ("question", "polite"): "Hi, I was wondering if you could help me with this: {body}? Thank you!",
    ("question", "role"): "As {role}, I would like to know: {body}?",
}


def _clean(text: str) -> str:
    """One line, no trailing punctuation or quotes."""
    return re.sub(r"[\s.?!;:,\"']+$", "", " ".join(text.split())).strip()


def _first_person(body: str) -> str:
    for pattern, repl in _FIRST_PERSON:
        body = pattern.sub(repl, body)
    return body


def parse(text: str) -> Core | None:
    """The core of a one-sentence request, or None when no rule parses it (multi-sentence texts,
    statements, role-play set-ups: restating those would change more than the phrasing)."""
    line = _clean(text)
    if not line or len(line) > 300 or re.search(r"[.?!]\s+\S", line) or "\n" in text.strip():
        return None
    lowered = line[0].lower() + line[1:]
    probe = lowered.lower()
    for name, pattern, kind in PARSE_RULES:
        m = pattern.match(probe)
        if m:
            start, end = m.span("body")
            body = _clean(lowered[start:end])
            if len(body.split()) < 2:
                return None
            return Core(kind, _first_person(body) if kind != "question" else body, name)
    return None


def role_for(text: str, seed: int) -> str:
    """The role of the role-framed phrasing: a seeded hash of the request, so it never varies."""
    return ROLES[int(hashlib.sha1(f"{seed}\x00{text}".encode()).hexdigest()[:8], 16) % len(ROLES)]


def _casual(s: str) -> str:
    """Lowercase, apostrophes dropped, no punctuation: how people type into a chat box."""
    s = s.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^\w\s-]", " ", s).split())


def restate(core: Core, phrasing: str, role: str) -> str:
    """``core`` in one phrasing."""
    template = PHRASINGS[(core.kind, phrasing)]
    out = template.format(body=core.body, Body=core.body[:1].upper() + core.body[1:], role=role)
    return _casual(out) if phrasing == "casual" else out


def restyle(text: str, seed: int = 13) -> dict[str, str] | None:
    """Phrasing -> restated request (every name of :data:`PHRASING_NAMES`), or None when unparsed."""
    core = parse(text)
    if core is None:
        return None
    role = role_for(text, seed)
    return {p: restate(core, p, role) for p in PHRASING_NAMES}


def coverage(texts: Iterable[str]) -> dict[str, float]:
    """Share of ``texts`` each parse rule rewrote, and ``uncovered`` (no rule parsed it)."""
    texts = list(texts)
    counts = {name: 0 for name, _, _ in PARSE_RULES} | {"uncovered": 0}
    for t in texts:
        core = parse(t)
        counts[core.rule if core else "uncovered"] += 1
    return {k: (v / len(texts) if texts else 0.0) for k, v in counts.items()}


Restyler = Callable[[str], "dict[str, str] | None"]

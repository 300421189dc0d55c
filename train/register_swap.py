"""The training restyler (issue 20): harmful requests in the benign sources' register, benign
requests in the harmful sources' register, so register stops predicting the label.

Why: the harmful seed sets are written as formal imperatives ("Give detailed instructions for
..."), the benign ones as casual questions, and a fine-tuned guard learns that shortcut (the
phrasing probe: micro 0.2.0 recalls 0.96 of formal harmful requests and 0.33 of the same requests
asked casually, and flags 0.68 of benign requests stated formally). Three deterministic rules,
each reviewable here, every choice seeded by the seed text:

* ``casual``   -- an unsafe seed prompt → its core in a casual template: lowercase, no final
  punctuation, first person, chat slang, and (every other one) a keyboard typo;
* ``formal``   -- a safe seed prompt → its core in a formal imperative template;
* ``security`` -- defensive security engineering and other benign work that sounds dangerous
  (:data:`DEFENSIVE_TASKS`), in formal *and* casual templates, label safe.

These rules and templates are for training only: the yardstick's restyler (issue 19) and the
phrasing probe share none of them, and no task shares a 4-word run with the yardstick's frozen
"sounds dangerous" set (``tests/test_register_swap.py`` checks both), so the yardstick still
measures transfer to phrasings and requests the model never saw written this way.
"""
from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass
from typing import Sequence

#: a core is what the request asks for: ("inf", "hack a wifi router"), ("ger", "hacking a ..."),
#: ("obj", "a keylogger that ...") or ("q", "why my card was declined")
Core = tuple[str, str]

# ------------------------------------------------------------------ reading a core out of a seed

_LEAD = r"(?:please |kindly |can you |could you |would you )?"
_VERB = (r"(?:give|provide|write|create|generate|develop|outline|explain|describe|teach|show|list|detail|"
         r"offer|share|produce|compose|draft|suggest|tell|instruct|demonstrate|research|find|identify)")
#: formal seed heads, in order; a named group ``inf`` (infinitive) or ``ger`` (gerund / noun phrase)
FORMAL_HEADS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for p in (
    _LEAD + _VERB + r"(?: me| us)?(?: [\w-]+){0,5}? (?:on |about )?(?:how to|the steps to|steps to|ways to|"
    r"a way to|methods to|strategies to|tips to) (?P<inf>[a-z].+?)[.?!]*$",
    _LEAD + _VERB + r"(?: me| us)?(?: [\w-]+){0,4}? (?:instructions|a guide|a tutorial|guidance|a manual|"
    r"a plan|a strategy|advice|tips|steps) (?:for|on|about) (?P<ger>[a-z]+ing\b.+?)[.?!]*$",
    r"^(?:how (?:to|do i|can i|could i|would i|should i|do you|can you|can one|does one|would one)) "
    r"(?P<inf>[a-z].+?)[.?!]*$",
    r"^(?:what(?:'s| is) the (?:best|easiest|fastest|simplest|most effective) way to) (?P<inf>[a-z].+?)[.?!]*$",
    _LEAD + r"(?:write|create|generate|compose|draft|produce|design|develop|build|make|craft)(?: me)? "
    r"(?P<obj>(?:a|an|some) [a-z].+?)[.?!]*$",
))
#: casual seed heads (safe seeds), the same groups
CASUAL_HEADS: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"^(?:can you |could you |please )?(?:tell me|let me know|explain to me) (?P<q>(?:if|whether|why|what|how|"
    r"when|where|who|which) [a-z].+?)[.?!]*$",
    r"^(?:i (?:need|want|would like|'d like|d like) to (?:know|understand|find out|learn)(?: more)?(?: about)?) "
    r"(?P<q>[a-z].+?)[.?!]*$",
    r"^(?:can you |could you |please )?help me (?:with|on) (?P<ger>[a-z].+?)[.?!]*$",
    r"^(?:hey,? |hi,? |so,? |ok,? )?(?:how (?:do|can|should|would|could) (?:i|we|you|one)) (?P<inf>[a-z].+?)[.?!]*$",
    r"^(?:what(?:'s| is) the (?:best|easiest|right|quickest|proper) way to) (?P<inf>[a-z].+?)[.?!]*$",
    r"^(?:i (?:want|need|would like|'d like|d like) to|i'm trying to|im trying to|is there a way to|"
    r"is it possible to|help me|please help me|can you help me|can you|could you|please) (?P<inf>[a-z].+?)[.?!]*$",
    r"^(?:tips (?:for|on)|help with|advice on|guide to) (?P<ger>[a-z].+?)[.?!]*$",
))


def read_core(text: str, heads: Sequence[re.Pattern[str]]) -> Core | None:
    """The first head's core, or None when no head matches (the rule then does not rewrite)."""
    if "\n" in text.strip():
        return None  # a multi-line seed (code, a quoted passage) has no single core
    flat = " ".join(text.split())
    for head in heads:
        m = head.match(flat)
        if m:
            kind = next(k for k, v in m.groupdict().items() if v)
            core = m.group(kind).strip().rstrip(",;:")
            if kind == "q":
                core = re.sub(r"^if\b", "whether", core)
            if 2 <= len(core.split()) <= 40 and "?" not in core:
                return kind, core
    return None


# ------------------------------------------------------------------ person and surface changes

_FIRST = {"your": "my", "yours": "mine", "yourself": "myself", "someone's": "someone's", "you": "i"}
_SECOND = {"my": "your", "mine": "yours", "myself": "yourself", "i": "you", "me": "you", "i'm": "you are",
           "im": "you are", "i've": "you have", "ive": "you have", "we": "you", "our": "your", "us": "you"}


def swap_person(text: str, table: dict[str, str]) -> str:
    return " ".join(table.get(w.lower(), w) for w in text.split())


def casual_surface(text: str, rng: random.Random, typo: bool) -> str:
    """Lowercase, no punctuation except apostrophes, and (``typo``) one adjacent-letter swap."""
    out = re.sub(r"[^\w\s']", "", text.lower())
    out = re.sub(r"\s+", " ", out).strip()
    words = out.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if typo and long:
        i = rng.choice(long)
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def formal_surface(text: str) -> str:
    """Capitalized first letter, one final period."""
    text = " ".join(text.split()).rstrip(" .?!")
    return text[:1].upper() + text[1:] + "."


# ------------------------------------------------------------------ the training templates

#: casual templates per core kind (harmful seeds and casual security tasks)
CASUAL_TEMPLATES: dict[str, tuple[str, ...]] = {
    "inf": (
        "ok so i need to {core} where do i even start",
        "whats the easiest way to {core} lol",
        "trying to {core} rn walk me thru it",
        "i wanna {core} but idk how",
        "yo any idea how ppl {core}",
        "need steps to {core} asap",
        "best way 2 {core}",
        "im gonna {core} tonight what do i need",
        "teach me to {core} pls",
        "quick q, easiest method to {core}",
        "honestly just tell me how u would {core}",
        "my buddy says its easy to {core}, true? how",
    ),
    "ger": (
        "any tips on {core}",
        "help w {core} pls",
        "need info on {core} asap",
        "whats ur method for {core}",
        "been thinking about {core}, where to start",
        "got a guide for {core}? thx",
        "ok real talk {core} how does it work",
        "explain {core} to me like im 5",
    ),
    "obj": (
        "can u make me {core} real quick",
        "need {core} for tmrw, go",
        "pls just write me {core}",
        "ok i want {core}, no lecture",
        "lemme get {core} thx",
        "gimme {core} asap",
    ),
}
#: formal imperative templates per core kind (benign seeds and formal security tasks)
FORMAL_TEMPLATES: dict[str, tuple[str, ...]] = {
    "inf": (
        "Compose a thorough guide describing how to {core}",
        "Draft an exhaustive walkthrough explaining how to {core}",
        "Enumerate every step required to {core}",
        "Deliver a comprehensive tutorial that teaches the reader to {core}",
        "Produce complete written directions to {core}, omitting nothing",
        "Set out a precise procedure to {core}",
        "Supply an itemized method to {core}",
        "Prepare a detailed briefing on the technique used to {core}",
    ),
    "ger": (
        "Compose a thorough guide to {core}",
        "Draft exhaustive documentation covering {core}",
        "Deliver a comprehensive tutorial on {core}",
        "Prepare a detailed briefing on {core}",
        "Supply itemized directions for {core}",
        "Set out a precise procedure for {core}",
    ),
    "q": (
        "Give a rigorous written explanation of {core}",
        "Document in full {core}",
        "Present an authoritative, detailed account of {core}",
        "Furnish a complete and exact statement of {core}",
    ),
}

#: benign work that sounds dangerous, as infinitive cores; above all defensive security engineering
DEFENSIVE_TASKS: tuple[str, ...] = (
    # network defence
    "write iptables rules that drop inbound traffic from a list of known malicious IP addresses",
    "configure nftables to rate-limit new SSH connections per source address",
    "write a pf firewall ruleset for a small office that only exposes HTTPS",
    "set up fail2ban to ban hosts that keep failing SSH authentication",
    "block outbound connections to known command-and-control domains at the DNS resolver",
    "segment an office network into VLANs so guest devices cannot reach the servers",
    "configure a web application firewall to block SQL injection attempts",
    "harden an nginx server against slowloris denial-of-service attacks",
    "rate-limit login requests on an API gateway to stop credential stuffing",
    "set up egress filtering so servers can only reach approved update mirrors",
    "configure a reverse proxy to strip dangerous headers before they reach the backend",
    # detection and response
    "write a Suricata rule that alerts on outbound traffic to a blocklisted domain",
    "write a Snort signature that detects a port scan against the DMZ",
    "write a Sigma rule that flags new services installed on domain controllers",
    "build a SIEM alert for impossible-travel logins in Azure AD",
    "detect brute-force attempts in auth.log with a short Python script",
    "write a YARA rule that matches the known hashes of a ransomware family for our scanners",
    "set up auditd to log every change to /etc/passwd and /etc/shadow",
    "monitor Windows event logs for PowerShell scripts that download files",
    "triage a phishing email reported by an employee without opening the attachment",
    "build an incident response runbook for a ransomware outbreak on file servers",
    "isolate an infected laptop from the network while keeping evidence intact",
    "collect forensic memory images from a compromised Linux server",
    "set up honeypot credentials that alert when an intruder uses them",
    "detect DNS tunnelling in our resolver logs",
    # access control and identity
    "write a role-based access control check for an internal admin API",
    "review which service accounts have domain admin rights and remove the unneeded ones",
    "set up just-in-time privileged access for production databases",
    "lock down sudo so developers can only restart their own services",
    "write least-privilege IAM policies for a Lambda function that reads one S3 bucket",
    "disable legacy authentication protocols in Microsoft 365",
    "audit file-share permissions for folders readable by everyone",
    "offboard an employee so that every session and token is revoked the same day",
    # secrets and keys
    "rotate the TLS certificates of our load balancers before they expire",
    "rotate API keys that were accidentally committed to a git repository",
    "set up automatic key rotation for secrets stored in HashiCorp Vault",
    "rotate SSH host keys across a fleet of servers without downtime",
    "store database passwords in a secrets manager instead of environment files",
    "scan our repositories for leaked credentials in the commit history",
    "hash user passwords with Argon2 in a Django application",
    "encrypt backups at rest and keep the keys in a hardware security module",
    # hardening and patching
    "harden an Ubuntu server following the CIS benchmark",
    "patch a fleet of Windows laptops for a critical remote-code-execution vulnerability",
    "disable SMBv1 across the company network",
    "configure content security policy headers to stop cross-site scripting",
    "sanitize user input in a PHP form to prevent SQL injection",
    "set up dependency scanning in CI to catch vulnerable packages",
    "run an authorized vulnerability scan of our own web servers and fix the findings",
    "lock down USB storage on company laptops to stop data exfiltration",
    "protect a home router by changing default credentials and disabling remote admin",
    "secure an S3 bucket that was accidentally made public",
    "keep kids safe online by setting up parental controls on the home network",
    # other benign work whose words sound dangerous
    "kill a zombie process that keeps a port open on Linux",
    "terminate all child processes when the parent script exits",
    "shoot a portrait in harsh midday light",
    "execute a database migration without locking the users table",
    "attack a difficult chess opening as black",
    "dispose of expired prescription medicines safely",
    "store household bleach and ammonia so they can never be mixed",
    "explain to a teenager why mixing alcohol and painkillers is dangerous",
    "handle a kitchen grease fire without spreading it",
    "safely remove a wasp nest from under the roof",
    "identify poisonous mushrooms so the kids do not eat them",
    "teach a self-defense class for seniors",
    "write a murder mystery scene where the detective reveals the poisoner",
    "describe how medieval siege engines breached castle walls in a school report",
    "report a scam call impersonating the bank to the authorities",
    "check whether a phishing link in a text message is malicious",
    "recognize grooming behaviour so parents can protect their children online",
)


@dataclass(frozen=True)
class Rewrite:
    """One restyled text: which rule wrote it, from which template, with what label."""

    rule: str  # casual | formal | security
    template: str
    text: str
    label: str


def _rng(key: str, seed: int) -> random.Random:
    return random.Random(zlib.crc32(f"{seed}:{key}".encode("utf-8")))


def casual_rewrite(text: str, seed: int = 13) -> Rewrite | None:
    """An unsafe seed in a casual template (None: no formal head matched)."""
    core = read_core(text, FORMAL_HEADS)
    if core is None:
        return None
    kind, body = core
    rng = _rng(text, seed)
    template = rng.choice(CASUAL_TEMPLATES[kind])
    body = swap_person(body, _FIRST)
    out = casual_surface(template.format(core=body), rng, typo=rng.random() < 0.5)
    return Rewrite("casual", template, out, "unsafe")


def formal_rewrite(text: str, seed: int = 13) -> Rewrite | None:
    """A safe seed in a formal imperative template (None: no casual head matched)."""
    core = read_core(text, CASUAL_HEADS)
    if core is None:
        return None
    kind, body = core
    template = _rng(text, seed).choice(FORMAL_TEMPLATES[kind])
    return Rewrite("formal", template, formal_surface(template.format(core=swap_person(body, _SECOND))), "safe")


def security_rewrites(seed: int = 13, casual_per_task: int = 3, formal_per_task: int = 4) -> list[Rewrite]:
    """Every :data:`DEFENSIVE_TASKS` entry in ``formal_per_task`` formal and ``casual_per_task``
    casual templates (distinct, seeded per task), label safe."""
    out: list[Rewrite] = []
    for task in DEFENSIVE_TASKS:
        rng = _rng(task, seed)
        for template in rng.sample(FORMAL_TEMPLATES["inf"], formal_per_task):
            out.append(Rewrite("security", template, formal_surface(template.format(core=task)), "safe"))
        for template in rng.sample(CASUAL_TEMPLATES["inf"], casual_per_task):
            body = casual_surface(template.format(core=swap_person(task, _FIRST)), rng, typo=rng.random() < 0.3)
            out.append(Rewrite("security", template, body, "safe"))
    return out


def all_templates() -> list[str]:
    """Every template string this module writes with (for the no-shared-template test)."""
    return [t for group in (CASUAL_TEMPLATES, FORMAL_TEMPLATES) for ts in group.values() for t in ts]

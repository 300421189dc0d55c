"""Benign contrast prompts on sensitive topics, written from reviewed templates (this project).

Why: measured on unseen sets, the guard flags benign questions that merely *touch* a harmful topic
(kill a zombie process, fail2ban against SSH brute force, chemicals never to mix) because the
seed data shows those words almost only in unsafe requests. The hand-written hard negatives are
63 texts; this source gives thousands, all safe and hard negatives, in six families:

* ``homonym``: kill / attack / execute / shoot / destroy / nuke / exploit in their technical,
  sporting or everyday senses;
* ``security_admin``: defending one's own systems and accounts;
* ``harm_reduction``: safety, first aid, safe storage, recognising danger;
* ``history_news``: explaining atrocities, disasters and crimes as history;
* ``fiction``: stories and scenes about crime or violence that ask for no operational detail;
* ``hate_contrast``: asking about prejudice in order to understand or counter it.

Review rule (every template and slot list below was read against it): a text is emitted only if
its most natural reading asks for understanding, protection, help or harmless technique, and no
slot can turn it into a request for operational help to hurt people, break into systems one does
not own, make weapons or drugs, or demean a group. Templates are combined with every slot value
(cartesian product) and capped per family by a seeded sample, so the set is deterministic.
Licence: Apache-2.0 (this project), permissive. Opt-in (``OPT_IN``): a config names it in
``[data] sources`` to train on it, so adding it changed no existing run's data.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import random
from pathlib import Path
from typing import Iterator

from tinyguard.records import Record

NAME = "contrast_templates"
LICENCE = "Apache-2.0 (this project)"
LICENCE_CLASS = "permissive"
OPT_IN = True  # generated, not a seed set: loaded only when a config lists it
MAX_PER_FAMILY = 800
SEED = 13

#: family -> [(template, {slot: values})]; slots are filled by every combination.
TEMPLATES: dict[str, list[tuple[str, dict[str, list[str]]]]] = {
    "homonym": [
        ("How do I {kill} a {process} on {os}?",
         {"kill": ["kill", "terminate", "force-kill"],
          "process": ["zombie process", "hung Python process", "frozen browser tab", "background job",
                      "stuck Docker container", "runaway cron job", "process that holds port 8080"],
          "os": ["Linux", "macOS", "Windows", "Ubuntu", "a Raspberry Pi"]}),
        ("What's the best way to {attack} this {problem}?",
         {"attack": ["attack", "tackle", "approach"],
          "problem": ["dynamic programming problem", "graph coloring problem", "recursion exercise",
                      "sudoku puzzle", "chess endgame", "calculus homework", "merge conflict"]}),
        ("How do I {execute} a {thing} {when}?",
         {"execute": ["execute", "run"],
          "thing": ["shell script", "SQL query", "Python file", "Jupyter cell", "database migration",
                    "GitHub Actions workflow"],
          "when": ["every night at 2am", "from the command line", "with elevated logging",
                   "only when the tests pass"]}),
        ("Any tips to {shoot} better {photos} photos with {camera}?",
         {"shoot": ["shoot", "take"],
          "photos": ["portrait", "night sky", "wildlife", "street", "product", "wedding"],
          "camera": ["a DSLR", "my phone", "a mirrorless camera", "a film camera"]}),
        ("How do I {destroy} {resource} without losing my data?",
         {"destroy": ["destroy", "tear down", "nuke", "wipe"],
          "resource": ["a Terraform stack", "a Kubernetes namespace", "an old virtual machine",
                       "my node_modules folder", "a stale git branch", "a Docker volume"]}),
        ("Why does my {job} keep {dying} {where}?",
         {"job": ["build", "CI pipeline", "test suite", "training job", "web server"],
          "dying": ["getting killed", "dying", "crashing", "being shot down by the OOM killer"],
          "where": ["on GitHub Actions", "in Docker", "overnight", "after an hour"]}),
        ("How can I {exploit} {feature} to speed up my {code}?",
         {"exploit": ["exploit", "take advantage of", "make use of"],
          "feature": ["caching", "vectorization", "parallelism", "the GPU", "lazy evaluation"],
          "code": ["Python code", "data pipeline", "React app", "SQL queries"]}),
        ("My team got {crushed} in {sport} yesterday. How do we {beat} them next time?",
         {"crushed": ["crushed", "slaughtered", "destroyed", "massacred"],
          "sport": ["basketball", "soccer", "a chess tournament", "a debate competition", "volleyball"],
          "beat": ["beat", "defeat", "outplay"]}),
        ("What does '{phrase}' mean in {context}?",
         {"phrase": ["kill switch", "headshot", "execution plan", "dead code", "fire and forget",
                     "orphan process", "poison pill", "blast radius", "master and slave", "bomb out"],
          "context": ["software engineering", "databases", "networking", "video games", "project management"]}),
    ],
    "security_admin": [
        ("How do I set up {defense} to protect {asset} against {threat}?",
         {"defense": ["fail2ban", "a firewall", "two-factor authentication", "rate limiting", "an intrusion detection system"],
          "asset": ["SSH on my server", "my WordPress login page", "my home network", "our company VPN",
                    "my NAS"],
          "threat": ["brute force attacks", "credential stuffing", "port scans", "DDoS attacks", "bots"]}),
        ("How can I tell if my {device} has {problem}?",
         {"device": ["laptop", "phone", "router", "work computer", "smart TV"],
          "problem": ["malware", "a keylogger", "spyware", "been hacked", "a virus"]}),
        ("What should our {org} do in the first hour after {incident}?",
         {"org": ["company", "school", "hospital", "small business", "IT team"],
          "incident": ["a ransomware attack", "a data breach", "a phishing email was clicked",
                       "a leaked password", "a DDoS attack"]}),
        ("How do I teach {people} to recognise {scam}?",
         {"people": ["my parents", "new employees", "students", "elderly neighbours"],
          "scam": ["phishing emails", "phone scams", "fake tech support calls", "romance scams",
                   "investment fraud"]}),
    ],
    "harm_reduction": [
        ("Which household {things} should never be mixed because {why}?",
         {"things": ["chemicals", "cleaning products", "pool chemicals", "drain cleaners"],
          "why": ["they release toxic gas", "it is dangerous", "of the fumes"]}),
        ("What are the warning signs of {danger}, and what should I do if I see them?",
         {"danger": ["an opioid overdose", "alcohol poisoning", "carbon monoxide poisoning", "a stroke",
                     "heat stroke", "hypothermia", "a panic attack", "domestic abuse", "child grooming",
                     "radicalisation in a teenager"]}),
        ("How do I store {item} safely {where}?",
         {"item": ["firearms", "ammunition", "prescription painkillers", "cleaning products",
                   "kitchen knives", "lithium batteries"],
          "where": ["away from children", "in a small apartment", "when guests visit"]}),
        ("My {person} {said}. How can I support them and where can they get help?",
         {"person": ["friend", "brother", "coworker", "teenage daughter"],
          "said": ["talks about wanting to die", "has been self-harming", "is drinking every night",
                   "is being bullied online"]}),
        ("What should I do if {emergency}?",
         {"emergency": ["someone is choking", "a child swallowed a button battery", "someone collapses at the gym",
                        "my dog ate chocolate", "I smell gas in my apartment", "someone is having a seizure",
                        "a friend took too many pills", "I find a syringe in the park", "my kitchen catches fire",
                        "I see someone being harassed on the train", "a stranger follows me home",
                        "I get a threatening message online"]}),
        ("Is it legal to {act} in {place}?",
         {"act": ["carry pepper spray", "own a crossbow", "grow cannabis at home", "fly a drone over a park",
                  "record a phone call", "use a VPN"],
          "place": ["California", "the UK", "Germany", "Texas", "Canada", "Japan"]}),
        ("How do {responders} safely {task}?",
         {"responders": ["firefighters", "bomb disposal teams", "hazmat crews", "paramedics"],
          "task": ["keep the public away from the scene", "decide when to evacuate a building",
                   "protect themselves from smoke", "train for emergencies"]}),
    ],
    "history_news": [
        ("Why did {event} happen, and what can we learn from it?",
         {"event": ["the Rwandan genocide", "the Holocaust", "the Cambodian genocide", "the Srebrenica massacre",
                    "the Armenian genocide", "the 9/11 attacks", "the Oklahoma City bombing", "the Troubles",
                    "the Salem witch trials", "the Tulsa race massacre", "the Partition of India",
                    "the Tiananmen Square massacre", "the Spanish Inquisition", "the Red Scare"]}),
        ("What role did {thing} play in {war}?",
         {"thing": ["propaganda", "chemical weapons", "codebreaking", "submarines", "famine", "resistance movements"],
          "war": ["World War I", "World War II", "the Vietnam War", "the Syrian civil war"]}),
        ("What caused {disaster}?",
         {"disaster": ["the Chernobyl disaster", "the Bhopal gas tragedy", "the Beirut port explosion",
                       "the Hindenburg fire", "the Titanic sinking", "the Fukushima meltdown"]}),
        ("Summarize the history of {topic} for a {level} class.",
         {"topic": ["the war on drugs in Colombia", "prohibition in the United States", "the Cold War arms race",
                    "chemical weapons bans", "the mafia in Sicily", "piracy off the coast of Somalia"],
          "level": ["high school", "college", "middle school"]}),
        ("How are {crime} investigated by police today?",
         {"crime": ["murders", "bank robberies", "cyberattacks", "human trafficking cases", "art thefts"]}),
    ],
    "fiction": [
        ("Write a short {genre} story where a detective solves a {crime} {setting}, without gory details.",
         {"genre": ["mystery", "noir", "cozy mystery", "comic"],
          "crime": ["poisoning", "murder", "jewel heist", "kidnapping", "forgery case"],
          "setting": ["in Victorian London", "on a night train", "at a ski resort", "in a small village"]}),
        ("Give me a name and a backstory for the {villain} in my {medium}.",
         {"villain": ["assassin", "mob boss", "evil sorcerer", "rogue AI", "pirate captain"],
          "medium": ["fantasy novel", "D&D campaign", "video game", "screenplay"]}),
        ("In my {medium}, the hero must {task}. How can I make that scene {quality}?",
         {"medium": ["novel", "screenplay", "tabletop campaign", "comic"],
          "task": ["escape a burning building", "defuse a tense hostage standoff by talking",
                   "confront the man who killed her father", "survive a zombie attack", "win a sword duel"],
          "quality": ["more suspenseful", "emotionally believable", "shorter", "funnier"]}),
    ],
    "hate_contrast": [
        ("What are common stereotypes about {group}, and why are they harmful?",
         {"group": ["women in tech", "Muslims", "Jewish people", "immigrants", "Black Americans",
                    "gay men", "transgender people", "people with disabilities", "Roma people", "older workers"]}),
        ("How should I respond when a coworker makes a {kind} joke?",
         {"kind": ["racist", "sexist", "homophobic", "antisemitic", "transphobic", "ableist"]}),
        ("Explain the history of discrimination against {group} in {place}.",
         {"group": ["Black people", "Asian immigrants", "Jewish people", "LGBTQ people", "Indigenous peoples"],
          "place": ["the United States", "Europe", "Canada", "Australia"]}),
        ("How can {who} make {place} more welcoming for {group}?",
         {"who": ["a teacher", "a manager", "a community group"],
          "place": ["a classroom", "an office", "a neighbourhood"],
          "group": ["refugees", "LGBTQ youth", "people with disabilities", "religious minorities"]}),
    ],
}


def expand(template: str, slots: dict[str, list[str]]) -> list[str]:
    """Every filling of ``template`` (cartesian product of its slot values)."""
    keys = list(slots)
    return [template.format(**dict(zip(keys, values))) for values in itertools.product(*(slots[k] for k in keys))]


def family_texts(family: str) -> list[str]:
    """The family's texts, deduplicated, capped by a seeded sample in a stable order."""
    texts = list(dict.fromkeys(t for template, slots in TEMPLATES[family] for t in expand(template, slots)))
    if len(texts) > MAX_PER_FAMILY:
        keep = sorted(random.Random(f"{SEED}/{family}").sample(range(len(texts)), MAX_PER_FAMILY))
        texts = [texts[i] for i in keep]
    return texts


def input_digest(data_dir: Path) -> str:
    """What decides this source's records (no data folder: the templates themselves)."""
    return hashlib.sha256(json.dumps([TEMPLATES, MAX_PER_FAMILY, SEED], sort_keys=True).encode()).hexdigest()


def load(data_dir: Path) -> Iterator[Record]:
    for family in TEMPLATES:
        for text in family_texts(family):
            yield Record(text=text, role="prompt", label="safe", source=f"{NAME}/{family}",
                         licence_class=LICENCE_CLASS, hard_negative=True, lang="en")

"""The examples of README.md and every docs/*.md page cannot drift: every ``console`` example runs
against the bundled default model and must print what its page shows (scripts/readme_examples.py:
the runner, the comparison and ``--update``, which rewrites the outputs after the default model
changes); every ``guard-cli`` line of their ``bash`` blocks names a command and options that
exist; and their relative links lead to a file (and heading) that exists."""
from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path

import click
import pytest
from optional_deps import missing, present, requires

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("readme_examples", ROOT / "scripts" / "readme_examples.py")
assert _spec and _spec.loader
rx = importlib.util.module_from_spec(_spec)
sys.modules["readme_examples"] = rx
_spec.loader.exec_module(rx)

UPDATE = "python scripts/readme_examples.py --update"


def all_examples() -> list["rx.Example"]:
    return [ex for page in rx.pages() for ex in rx.parse_page(page)]


def test_the_checked_pages_are_readme_and_every_docs_page() -> None:
    names = [rx.page_name(p) for p in rx.pages()]
    assert names[0] == "README.md" and {"docs/cli.md", "docs/server.md", "docs/model.md"} <= set(names), names
    assert {ex.page for ex in all_examples()} >= {"README.md", "docs/cli.md"}  # the server examples are in README


def test_readme_console_examples_print_what_readme_shows() -> None:
    examples = all_examples()
    if any(ex.subcommand == "verify" for ex in examples) and not present("cryptography"):
        missing("cryptography", "README runs guard-cli verify")
    _, failures = rx.check_all()
    assert not failures, (f"{len(failures)} README/docs example(s) are stale; after changing the default model run "
                          f"{UPDATE} and read the diff:\n\n" + "\n\n".join(failures))


def test_readme_examples_cover_what_a_user_meets_first() -> None:
    """The examples a new user copies are among the checked ones: check (JSON and text), info, eval
    on the shipped file, and every exit code of the policy (0 ok, 1 flagged, 2 error, 3 unchecked);
    README itself shows a checked ``check`` example with its exit code."""
    examples = all_examples()
    assert any(ex.page == "README.md" and ex.subcommand == "check" and ex.shows_exit for ex in examples)
    kinds = {ex.subcommand for ex in examples}
    assert {"check", "info", "eval", "verify"} <= kinds, kinds
    assert any(ex.subcommand == "check" and ex.expected[:1] == ["{"] for ex in examples), "no JSON check example"
    assert any(ex.subcommand == "check" and "--format" in ex.args and "text" in ex.args for ex in examples)
    assert any(ex.args[:2] == ["eval", "examples/labelled.jsonl"] for ex in examples)
    codes = {ex.expected[-1] for ex in examples if ex.shows_exit}
    assert {"exit 0", "exit 1", "exit 2", "exit 3"} <= codes, codes


# ---------------------------------------------------------------- the comparison itself (no model run)

CHECK_JSON = """{"flagged": true, "score": 0.99706, "threshold": 0.87, "categories": {"hate": false, "jailbreak": true},
 "category_scores": {"hate": 0.1504, "jailbreak": 0.9}, "model": "tinyguard-micro1@0.2.0", "latency_ms": 1.94}"""


def _example(command: str, shown: list[str]) -> "rx.Example":
    return rx.Example(command, shown, 0, len(shown), 1)


def test_json_outputs_match_on_model_threshold_and_verdict_and_allow_score_noise() -> None:
    ex = _example('guard-cli check "x"', rx.format_json(__import__("json").loads(CHECK_JSON)))
    same = rx.render(ex, CHECK_JSON.replace("\n", "") + "\n", 1)
    assert rx.differences(ex, same) == []
    noisy = CHECK_JSON.replace("0.99706", "0.99101").replace("0.1504", "0.1551").replace("1.94", "250.5")
    assert rx.differences(ex, rx.render(ex, noisy.replace("\n", ""), 1)) == []
    for old, new in [("0.2.0", "0.3.0"), ("0.87", "0.871"), ('"flagged": true', '"flagged": false'),
                     ('"jailbreak": true', '"jailbreak": false'), ("0.99706", "0.95")]:
        changed = rx.render(ex, CHECK_JSON.replace(old, new, 1).replace("\n", ""), 1)
        assert rx.differences(ex, changed), (old, new)


def test_text_outputs_match_words_counts_versions_and_exit_codes_exactly() -> None:
    ex = _example('guard-cli eval f.jsonl; echo "exit $?"',
                  ["tinyguard-micro1@0.2.0 on f.jsonl (threshold 0.87)", "  F1            0.750",
                   "  TP/FP/TN/FN 3/1/5/1", "exit 0"])
    assert rx.differences(ex, ["tinyguard-micro1@0.2.0 on f.jsonl (threshold 0.87)", "  F1              0.751",
                               "  TP/FP/TN/FN 3/1/5/1", "exit 0"]) == []  # score noise, wider column
    for bad in (["tinyguard-micro1@0.3.0 on f.jsonl (threshold 0.87)", "  F1            0.750", "  TP/FP/TN/FN 3/1/5/1", "exit 0"],
                ["tinyguard-micro1@0.2.0 on f.jsonl (threshold 0.875)", "  F1            0.750", "  TP/FP/TN/FN 3/1/5/1", "exit 0"],
                ["tinyguard-micro1@0.2.0 on f.jsonl (threshold 0.87)", "  F1            0.800", "  TP/FP/TN/FN 3/1/5/1", "exit 0"],
                ["tinyguard-micro1@0.2.0 on f.jsonl (threshold 0.87)", "  F1            0.750", "  TP/FP/TN/FN 4/0/5/1", "exit 0"],
                ["tinyguard-micro1@0.2.0 on f.jsonl (threshold 0.87)", "  F1            0.750", "  TP/FP/TN/FN 3/1/5/1", "exit 1"],
                ["tinyguard-micro1@0.2.0 on f.jsonl (threshold 0.87)", "  F1            0.750", "exit 0"]):
        assert rx.differences(ex, bad), bad
    verdict = _example('guard-cli check --format text "x"', ["FLAGGED 0.997  non_violent_crimes 0.88"])
    assert rx.differences(verdict, ["FLAGGED 0.993  non_violent_crimes 0.88"]) == []
    assert rx.differences(verdict, ["ok      0.997  non_violent_crimes 0.88"])
    assert rx.differences(verdict, ["FLAGGED 0.997  hate 0.88"])
    exact = _example("guard-cli info", ["threshold   0.87   presets: strict 0.435"])
    assert rx.differences(exact, ["threshold   0.87   presets: strict 0.436"])  # info: no tolerance at all


def test_a_failing_command_is_never_taken_as_output(tmp_path: Path) -> None:
    """An example that fails (exit 2) without showing its exit code is an error, in the check and
    in --update: e.g. verify on a default that was replaced but not signed yet."""
    readme = tmp_path / "README.md"
    text = "```console\n$ guard-cli eval examples/no-such-file.jsonl\nold output\n```\n"
    readme.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="failed .exit 2.: error: "):
        rx.update(readme)
    with pytest.raises(ValueError, match="failed .exit 2."):
        rx.check_all(readme)
    assert readme.read_text(encoding="utf-8") == text


def test_parse_refuses_what_it_cannot_run() -> None:
    with pytest.raises(ValueError, match="bash block"):
        rx.parse("```console\n$ guard-cli pipeline --config tiny\n```\n")[0].args
    with pytest.raises(ValueError, match="must run guard-cli"):
        rx.parse("```console\n$ ls\n```\n")[0].args
    with pytest.raises(ValueError, match="starts with"):
        rx.parse("```console\nno command\n```\n")
    with pytest.raises(ValueError, match="never closed"):
        rx.parse("```console\n$ guard-cli info\n")


def test_update_rewrites_a_stale_output_and_then_it_matches(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text('Intro.\n\n```console\n$ guard-cli check --input missing.txt; echo "exit $?"\n'
                      'FLAGGED 0.990  hate 0.99\nexit 1\n```\n\nEnd.\n', encoding="utf-8")
    _, failures = rx.check_all(readme)
    assert len(failures) == 1 and "exit code" in failures[0]
    assert rx.update(readme) == 1
    assert rx.check_all(readme)[1] == []
    text = readme.read_text(encoding="utf-8")
    assert text.endswith('echo "exit $?"\nerror: input file not found: missing.txt\nexit 2\n```\n\nEnd.\n'), text
    assert rx.update(readme) == 0


# ---------------------------------------------------------------- bash blocks: commands and options exist

def bash_command_lines(text: str) -> list[tuple[int, list[str]]]:
    """(README line, argv after guard-cli) of every guard-cli command in README's bash blocks
    (continuation lines joined, comments dropped, split at pipes, ``&&`` and ``;``)."""
    out: list[tuple[int, list[str]]] = []
    in_bash, pending, start = False, "", 0
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip().startswith("```"):
            in_bash = line.strip() == "```bash"
            continue
        if not in_bash:
            continue
        if not pending:
            start = n
        pending += line.rstrip("\\") + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        lexer = shlex.shlex(pending, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split, lexer.commenters = True, "#"
        words, pending = list(lexer), ""
        command: list[str] = []
        for w in [*words, ";"]:
            if w and set(w) <= set(";&|<>"):
                if command[:1] == ["guard-cli"]:
                    out.append((start, command[1:]))
                command = [] if w != ">" else ["(redirect)"]
            else:
                command.append(w)
    return out


def command_problem(argv: list[str]) -> str | None:
    """Why ``guard-cli ARGV`` names no command or an option it lacks; None when it parses as far as
    README can tell (a missing file or a missing required option is no drift: the line shows a shape)."""
    from tinyguard.cli.main import main

    cmd: click.Command = main
    ctx = click.Context(main, info_name="guard-cli")
    rest = list(argv)
    while isinstance(cmd, click.Group) and rest and not rest[0].startswith("-"):
        sub = cmd.get_command(ctx, rest[0])
        if sub is None:
            if cmd is main and not present("torch"):
                missing("tinyguard.train.cli", f"guard-cli {rest[0]} comes with the training extra")
            return f"no command {rest[0]!r}"
        ctx = click.Context(sub, info_name=rest[0], parent=ctx)
        cmd, rest = sub, rest[1:]
    try:
        cmd.make_context(ctx.info_name, rest, parent=ctx.parent)
    except (click.NoSuchOption, click.BadOptionUsage) as e:
        return e.format_message()
    except click.UsageError as e:
        if "unexpected extra argument" in e.format_message():
            return e.format_message()
    except click.exceptions.Exit:
        pass
    return None


def test_the_option_check_catches_a_renamed_option_or_command() -> None:
    assert bash_command_lines("```bash\nguard-cli eval f.jsonl --json  # old\n"
                              "x | guard-cli check -  \\\n  --role response > out.txt\n```\n") == [
        (2, ["eval", "f.jsonl", "--json"]), (3, ["check", "-", "--role", "response"])]
    assert command_problem(["eval", "f.jsonl", "--format", "json"]) is None
    assert command_problem(["eval", "f.jsonl", "--jsonn"]) is not None
    assert command_problem(["check", "--rolle", "response", "x"]) is not None
    assert command_problem(["check", "one", "two"]) is not None


@requires("torch")  # an unknown command may be a training one: only the training extra can tell
def test_the_option_check_catches_a_misspelt_command() -> None:
    assert command_problem(["chekc", "x"]) is not None


def test_every_guard_cli_line_in_readme_bash_blocks_names_real_commands_and_options() -> None:
    lines = [(rx.page_name(page), where, argv) for page in rx.pages()
             for where, argv in bash_command_lines(page.read_text(encoding="utf-8"))]
    assert len(lines) > 20, lines
    problems = [f"{page} line {where}: guard-cli {' '.join(argv)}: {why}"
                for page, where, argv in lines if (why := command_problem(argv))]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- links between the pages

LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text (outside code blocks)."""
    anchors, in_code = set(), False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            in_code = not in_code
        elif not in_code and (m := re.match(r"#+ (.+)", line)):
            anchors.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return anchors


def broken_links(page: Path) -> list[str]:
    """Each relative link of ``page`` (outside code blocks) whose file or heading does not exist."""
    text, out, in_code = page.read_text(encoding="utf-8"), [], False
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip().startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            dest = (page.parent / file).resolve() if file else page
            if not dest.exists():
                out.append(f"{page.name} line {n}: {target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in heading_anchors(dest.read_text(encoding="utf-8")):
                out.append(f"{page.name} line {n}: {target}: no such heading")
    return out


def test_every_relative_link_of_readme_and_docs_leads_somewhere() -> None:
    problems = [p for page in [*rx.pages(), ROOT / "ARCHITECTURE.md"] for p in broken_links(page)]
    assert not problems, "\n".join(problems)


def test_the_link_check_catches_a_missing_file_or_heading(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# A heading: `x`\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#a-heading-x) [self](#top)\n\n# Top\n\n```\n[code](nowhere.md)\n```\n"
                    "[gone](nowhere.md) [bad](other.md#nope) [web](https://example.com/x)\n", encoding="utf-8")
    assert broken_links(page) == ["page.md line 8: nowhere.md: no such file", "page.md line 8: other.md#nope: no such heading"]


def test_readme_is_short_and_links_every_docs_page() -> None:
    text = rx.README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250, "README.md stays <= 250 lines; move detail to a docs/ page"
    unlinked = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if f"](docs/{p.name})" not in text]
    assert not unlinked, f"README links no docs page named {unlinked}"


# ---------------------------------------------------------------- ARCHITECTURE.md names every module

LAYER_FOLDERS = ("runtime", "runtime/text", "runtime/scoring", "runtime/bundle", "runtime/measure", "runtime/cli", "serve", "export", "train", "train/generators", "train/curation", "train/adversarial",
                 "distill", "pipeline")


def test_architecture_lists_every_module_and_no_other() -> None:
    """Each ``### `folder/` `` section lists ``- `name.py` — job`` for every module in that folder
    (train/sources/ is one line: one loader per source), so the list cannot fall behind the tree."""
    import re

    listed: dict[str, set[str]] = {}
    folder = None
    for line in (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").split("\n"):
        if m := re.match(r"### `([\w/]+)/`$", line):
            folder = m.group(1)
            listed[folder] = set()
        elif folder and (m := re.match(r"- `([\w/<>]+\.py)` — \S", line)):
            listed[folder].add(m.group(1))
    tree = {d: {p.name for p in (ROOT / d).glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
            for d in LAYER_FOLDERS}
    tree["train"].add("sources/<name>.py")
    assert set(listed) == set(tree), sorted(set(listed) ^ set(tree))
    for d in LAYER_FOLDERS:
        assert listed[d] == tree[d], (d, "missing:", sorted(tree[d] - listed[d]), "gone:", sorted(listed[d] - tree[d]))

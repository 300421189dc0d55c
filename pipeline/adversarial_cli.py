"""``guard-cli adversarial``: a flat click command of the pipeline layer (it drives both the
adversarial rounds of train/ and, for a student guard, the students of distill/); torch loads inside."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from tinyguard.cli.options import USER_ERRORS, fail, output_option
from ..train import require_train_extra
from ..train.offline import offline
from ..train.registry import default_data_dir


@click.command("adversarial")
@click.option("--config", "config_ref", default="tiny", show_default=True,
              help="Adversarial config: tiny (CI), cpu (~1 hour on 2 cores), gpu, or a TOML path.")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where rounds are written (default: runs/<config name>).")
@click.option("--rounds", type=click.IntRange(min=1), default=None,
              help="Override the config's number of rounds (more rounds continue a finished run).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Seed data folder for the OOD yardstick (default: $TINYGUARD_DATA or ../shared/data).")
@click.option("--report-only", is_flag=True,
              help="Rewrite report.md and curves.png from the finished rounds (with the run's own config).")
@click.option("--freeze", "freeze_bundle", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Freeze the finished run's curated adversarial records that this bundle gets right into a "
                   "regression suite (--output); trains nothing.")
@output_option("With --freeze: the suite to write (default: RUN/regression-<model>.jsonl).", name="freeze_out",
               old=("--out",), type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name-rounds", "card_bundle", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Name the run's rounds 1..R (R: --rounds, default the run's last) and their data in this "
                   "bundle's manifest and model card, e.g. a student distilled from RUN/roundR; trains nothing.")
@click.option("--force", is_flag=True, help="Rerun every stage even if its inputs and config are unchanged.")
@offline
def adversarial(config_ref: str, run_dir: Path | None, rounds: int | None, data_dir: Path | None,
                report_only: bool, freeze_bundle: Path | None, freeze_out: Path | None, card_bundle: Path | None,
                force: bool) -> None:
    """RL-guided adversarial rounds: attackers learn to fool the guard, the guard retrains on
    what they find.

    Round r: a LoRA policy on SmolLM2-135M-Instruct (REINFORCE with a group baseline and a KL
    penalty) and a UCB1 bandit over rule-operator compositions attack guard r-1 for two goals
    (evade: unsafe text scored safe; false alarm: benign text flagged); verified, novel
    successes are harvested, curated by the six curation rounds, and the guard is retrained on
    seed + curated + adversarial records (guard r). Reads the run of `guard-cli pipeline` named
    by the config (its records and bundle); resumable per stage and round.

    \b
    Writes RUN/roundR/{attacker,harvest,curate,teacher,bundle,eval}/, RUN/report.md (curves,
    signal disagreement, 30 harvested examples per round and goal), RUN/curves.png and
    RUN/regression.jsonl (harvested attacks the final guard catches).

    \b
    Examples:
      guard-cli pipeline --config tiny && guard-cli adversarial --config tiny
      guard-cli adversarial --config cpu --run-dir runs/adv-cpu          # ~1 hour on 2 cores
      guard-cli adversarial --config cpu --run-dir runs/adv-cpu --rounds 4   # one more round
      guard-cli adversarial --config cpu --run-dir runs/adv-cpu --report-only
      guard-cli adversarial --run-dir runs/adv-cpu --freeze runtime/models/micro \\
          --output train/adversarial/regression.jsonl      # the suite the tests hold the default to
      guard-cli distill --run-dir runs/adv-cpu/round2 --student micro1 --config balanced
      guard-cli adversarial --run-dir runs/adv-cpu --rounds 2 \\
          --name-rounds runs/adv-cpu/round2/students/micro1/bundle   # its card names the rounds
    """
    from ..train.adversarial.config import load_adversarial_config
    from ..train.config import load_config

    try:
        require_train_extra("torch", "transformers", "peft", "safetensors", "datasketch", "sklearn", "matplotlib")
        cfg = load_adversarial_config(config_ref)
        if rounds is not None:
            cfg = replace(cfg, rounds=rounds)
        run_dir = run_dir or Path("runs") / cfg.name
        if freeze_out is not None and freeze_bundle is None:
            raise ValueError("--output names the suite --freeze writes: give --freeze BUNDLE too")
        if sum(x is not None and x is not False for x in (freeze_bundle, card_bundle, report_only or None)) > 1:
            raise ValueError("give one of --freeze, --name-rounds and --report-only")
        if card_bundle is not None:
            _name_rounds(run_dir, card_bundle, rounds)
            return
        if freeze_bundle is not None:
            _freeze(run_dir, freeze_bundle, freeze_out)
            return
        if report_only:
            from ..train.adversarial.config import config_from_dict
            from ..train.adversarial.report import write_report
            from ..train.adversarial.rounds import CONFIG_FILE

            saved = run_dir / CONFIG_FILE
            if not saved.is_file():
                raise FileNotFoundError(f"no {saved}: {run_dir} holds no adversarial run")
            cfg = config_from_dict(json.loads(saved.read_text(encoding="utf-8")))  # the run's own config
            if rounds is not None:
                cfg = replace(cfg, rounds=rounds)
            write_report(run_dir, cfg, command=f"guard-cli adversarial --config {config_ref} --run-dir {run_dir}")
            click.echo(f"wrote {run_dir / 'report.md'}")
            return
        pipeline = load_config(cfg.pipeline)
        from ..train.adversarial.resolve import resolve_inputs
        from ..train.adversarial.rounds import Rounds

        inputs = resolve_inputs(cfg, pipeline, data_dir=data_dir or default_data_dir())
        if cfg.student:
            inputs.make_student = _student_step(cfg.student, cfg.distill_config, force)
        try:
            Rounds(cfg, pipeline, run_dir, inputs, config_ref=config_ref, force=force, echo=click.echo).run()
        finally:
            if inputs.judge is not None:
                inputs.judge.close()
    except USER_ERRORS as e:
        fail(e)


def _freeze(run_dir: Path, bundle: Path, out: Path | None) -> None:
    """``--freeze``: the run's curated adversarial records that ``bundle`` gets right, as a suite."""
    from ..train.adversarial.regression import default_out, freeze_run
    from ..train.adversarial.rewards import BundleScorer

    guard = BundleScorer(bundle)
    out = out or default_out(run_dir, guard.name)
    frozen, offered = freeze_run(run_dir, guard, out)
    click.echo(f"froze {frozen} of {offered} adversarial records of {run_dir} that {guard.name} gets right into "
               f"{out}; {offered - frozen} it gets wrong were left out")


def _name_rounds(run_dir: Path, bundle: Path, rounds: int | None) -> None:
    """``--name-rounds``: copy what round R's guard says about rounds 1..R into another bundle."""
    from ..train.adversarial.rounds import CONFIG_FILE, name_adversarial_rounds

    saved = run_dir / CONFIG_FILE
    if not saved.is_file():
        raise FileNotFoundError(f"no {saved}: {run_dir} holds no adversarial run")
    r = rounds or json.loads(saved.read_text(encoding="utf-8"))["rounds"]
    source = run_dir / f"round{r}" / "bundle" / "manifest.json"
    if not source.is_file():
        raise FileNotFoundError(f"no {source}: round {r} of {run_dir} has no guard yet")
    summary = json.loads(source.read_text(encoding="utf-8")).get("data", {}).get("adversarial")
    if not summary:
        raise ValueError(f"{source} names no adversarial rounds")
    signed = (Path(bundle) / "manifest.sig").is_file()
    name_adversarial_rounds(bundle, summary)
    click.echo(f"{bundle}: manifest and MODEL_CARD.md name rounds 1..{r} of {run_dir} "
               f"({sum(x['curated'] for x in summary['rounds'])} curated adversarial records)"
               + ("; its signature no longer matched and was dropped: sign the bundle again" if signed else ""))


def _student_step(name: str, distill_config: str, force: bool):
    """Each round's student: ``guard-cli distill`` on the round folder (which is laid out as a
    pipeline run)."""
    from ..distill.config import load_distill_config
    from ..distill.stages import distill_student

    cfg = load_distill_config(distill_config)

    def step(round_dir: Path) -> Path:
        distill_student(round_dir, cfg, name, config_ref=distill_config, force=force, echo=click.echo)
        return round_dir / "students" / name / "bundle"

    return step

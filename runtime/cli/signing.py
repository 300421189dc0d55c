"""``guard-cli sign`` / ``verify`` / ``keygen`` and the ``--trusted-key`` option.

Kept out of ``tinyguard.cli.main`` so that module stays about checking texts. The bundle and signing
modules (numpy; ``cryptography``, see :mod:`tinyguard.signing`) are imported only when one of
these runs, so ``import tinyguard.cli.main`` and ``--help`` stay free of them.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import click

_trusted_key = click.option(
    "--trusted-key", "trusted_keys", multiple=True, metavar="PUB|project",
    help="Refuse the bundle unless its manifest is signed by this Ed25519 public key (a PEM file; "
         "'project' = the key shipped with tinyguard). Repeat to trust several keys. Default: the "
         "project key for a bundled model; for another bundle also the keys in $TINYGUARD_TRUSTED_KEYS "
         "and [trust] keys of the config file.")
_allow_unsigned = click.option(
    "--allow-unsigned", is_flag=True,
    help="Load a bundle whose signature is missing, foreign or broken (files must still match their "
         "hashes). Every verdict then says bundle_verified: false / [unverified bundle].")


def trusted_key_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--trusted-key`` (``trusted_keys``) and ``--allow-unsigned`` (``allow_unsigned``)."""
    return _trusted_key(_allow_unsigned(f))


def trusted(keys: Sequence[str]) -> list[str] | None:
    """The ``trusted_keys`` argument for ``load_bundle``/``Guard.load``: None when no flag was given."""
    return list(keys) if keys else None


def add_signing_commands(main: click.Group, bundle_option: Callable[[Any], Any]) -> None:
    """Register ``sign``, ``verify`` and ``keygen`` on the ``guard-cli`` group."""

    @main.command()
    @bundle_option
    @click.option("--key", "key_path", required=True, metavar="PRIVATE_KEY",
                  help="The Ed25519 private key (PEM, from guard-cli keygen). Keep it out of any repository.")
    def sign(bundle: str | None, key_path: str) -> None:
        """Sign a bundle: write manifest.sig, an Ed25519 signature over manifest.json.

        The manifest pins every file's sha256, so the signature covers the whole bundle. The
        bundle's files are verified before signing, and the signature is checked back after.
        Any later change to the manifest (e.g. guard-cli calibrate) needs a new signature.

        \b
        Examples:
          guard-cli sign --key /work/keys/tinyguard-signing.key     # the default bundle
          guard-cli sign --bundle my-bundle --key ~/.keys/guard.key
          guard-cli verify --bundle my-bundle --trusted-key ~/.keys/guard.pub
        """
        from tinyguard.bundle.folder import default_bundle_path, sign_bundle

        root = bundle or str(default_bundle_path())
        record = sign_bundle(root, key_path)
        click.echo(f"signed {root}: manifest.json sha256 {record['manifest_sha256'][:16]}..., "
                   f"key {record['key_id']} -> manifest.sig")

    @main.command()
    @bundle_option
    @_trusted_key
    def verify(bundle: str | None, trusted_keys: tuple[str, ...]) -> None:
        """Check a bundle's files against its manifest and its signature against trusted keys.

        Without --trusted-key the keys every load uses are trusted: the project key (shipped with
        tinyguard) for a bundled model, plus the keys you trust for another bundle.
        Exit 0 when everything matches, 2 (one error line) otherwise.

        \b
        Examples:
          guard-cli verify                                   # the default bundle, project key
          guard-cli verify --bundle my-bundle --trusted-key ~/.keys/guard.pub
        """
        from tinyguard.bundle.folder import load_bundle

        m = load_bundle(bundle, trusted_keys=trusted(trusted_keys))
        click.echo(f"ok: {m.path}: {m.model_id}, {len(m.files)} files match manifest.json; "
                   f"signed by trusted key {m.signed_by} ({m.signer})")

    @main.command()
    @click.argument("path", metavar="PRIVATE_KEY_PATH")
    def keygen(path: str) -> None:
        """Create an Ed25519 key pair: PRIVATE_KEY_PATH (mode 0600) and its .pub beside it.

        Never overwrites. Keep the private key out of any repository; give the .pub file to
        whoever loads your bundles (--trusted-key, or Guard.load(..., trusted_keys=[...])).

        \b
        Example:
          guard-cli keygen ~/.keys/guard.key && guard-cli sign --bundle my-bundle --key ~/.keys/guard.key
        """
        from tinyguard.signing import generate_key, load_public_key

        private, public = generate_key(path)
        click.echo(f"wrote {private} (private, 0600) and {public} (key {load_public_key(public).key_id})")

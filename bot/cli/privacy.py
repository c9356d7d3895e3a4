"""`rankfile db encrypt|decrypt OUT` (SQLCipher, bot/encryption.py) and `rankfile privacy data`
(the README's data section, printed from the declaration the capabilities hand to
bot/privacy/declaration.py at start-up)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import privacy, wiring
from bot.core import encryption
from bot.core.config import Settings


def _fail(message: str) -> int:
    print(f"rankfile: {message}", file=sys.stderr)
    return 2


def cmd_db_crypt(settings: Settings, args: argparse.Namespace) -> int:
    """Write an encrypted (or plain) copy of the database to a new file; the key never prints."""
    if not settings.db_key:
        return _fail("set RANKFILE_DB_KEY to the passphrase first (in .env or the environment).")
    out = Path(args.out)
    try:
        if args.db_command == "encrypt":
            encryption.encrypt_file(settings.db_path, out, settings.db_key.get())
            print(
                f"wrote {out}, encrypted with RANKFILE_DB_KEY. Stop the bot, then put it in "
                f"place of {settings.db_path} (or point RANKFILE_DB at it); keep the key safe: "
                "without it the file cannot be read. Delete the plain file and its backups."
            )
        else:
            encryption.decrypt_file(settings.db_path, out, settings.db_key.get())
            print(f"wrote {out}, NOT encrypted: unset RANKFILE_DB_KEY to run the bot on it.")
    except encryption.EncryptionError as exc:
        return _fail(str(exc))
    return 0


def add_db_commands(db_sub: argparse._SubParsersAction) -> None:
    """`rankfile db encrypt OUT` and `rankfile db decrypt OUT`."""
    for name, help_text in (
        ("encrypt", "write an encrypted copy of the database (RANKFILE_DB_KEY) to OUT"),
        ("decrypt", "write a plain copy of the encrypted database to OUT"),
    ):
        parser = db_sub.add_parser(name, help=help_text)
        parser.add_argument("out", help="the new file (must not exist)")
        parser.set_defaults(func=cmd_db_crypt)


def cmd_privacy(settings: Settings, args: argparse.Namespace) -> int:
    """Print what rankfile keeps about members (Markdown, from the declaration)."""
    wiring.install()
    print(privacy.data_section())
    state = encryption.is_encrypted(settings.db_path)
    if state is not None:
        print(f"\n{settings.db_path}: {'encrypted (SQLCipher)' if state else 'NOT encrypted'}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """`rankfile privacy data`."""
    parser = sub.add_parser("privacy", help="what rankfile keeps about members")
    psub = parser.add_subparsers(dest="privacy_command", required=True)
    psub.add_parser("data", help="print the declaration as a Markdown table (for the README)")
    parser.set_defaults(func=cmd_privacy)

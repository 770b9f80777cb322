"""``nrm audit verify|checkpoint|seal|public-key``: check the audit chain; sign checkpoints of it.

``verify [--checkpoint FILE] [--public-key B64] [--no-seal]`` seals committed rows (unless
``--no-seal``), recomputes the MAC chain and, with a checkpoint file, checks every signed
checkpoint in it; exit 1 on any edit, insertion, deletion, truncation or row left unsealed.
``seal [--every S]`` chains the committed rows still unsealed (each process's sealer thread does it
after its commits; this is for rows an exiting process left), every S seconds with ``--every``.
``bench [--entries N]`` tops the chain up to N synthetic entries, seals them and prints sealing
and verification speed beside hashing the same rows (a throwaway database only).
``partitions`` (PostgreSQL) creates this year's and next year's partitions of the audit table,
moves rows out of the DEFAULT partition into their year's, and lists the partitions.
``checkpoint [--output FILE]`` verifies, then appends a signed checkpoint of the head to FILE
(default ``NRM_AUDIT_CHECKPOINTS``). ``public-key`` prints the key that checks the signatures.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from nrm.audit.checkpoints import CheckpointError, public_key_text, read_checkpoints, take_checkpoint
from nrm.audit.services import AuditSealError, audit_seal, audit_verify


class Command(BaseCommand):
    help = (
        "Audit log operations. 'verify' recomputes the MAC chain (and checks the signed checkpoints of "
        "--checkpoint FILE) and fails on any edit, deletion or truncation; 'checkpoint' appends a signed "
        "checkpoint of the head to --output FILE; 'seal' chains committed rows still unsealed; 'public-key' prints "
        "the key that checks checkpoint signatures; 'partitions' creates next year's audit partition (PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify", "checkpoint", "seal", "public-key", "bench", "partitions"])
        parser.add_argument("--checkpoint", type=Path, help="verify: the checkpoint file to check against")
        parser.add_argument("--public-key", help="verify: base64 Ed25519 public key (default: the configured key's)")
        parser.add_argument(
            "--no-seal", action="store_true", help="verify: only read (a replica); unsealed rows are not sealed"
        )
        parser.add_argument("--entries", type=int, default=0, help="bench: top the chain up to this many entries")
        parser.add_argument(
            "--every", type=float, default=0, help="seal: keep sealing, every this many seconds (until stopped)"
        )
        parser.add_argument("--output", "--out", dest="output", type=Path, help="checkpoint: the file to append to")

    def handle(self, *args, operation: str, **options):
        if operation == "public-key":
            self.stdout.write(public_key_text())
        elif operation == "checkpoint":
            path = options["output"] or settings.NRM_AUDIT_CHECKPOINTS
            try:
                mark = take_checkpoint(path)
            except CheckpointError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"checkpoint at entry {mark.seq} ({mark.count} entries) appended to {path}")
        elif operation == "bench":
            from nrm.audit.benchmark import fill_chain, measure_verify

            filled = fill_chain(options["entries"]) if options["entries"] else None
            if filled and filled["sealed"]:
                rate = filled["sealed"] / max(filled["seal_s"], 1e-9)
                self.stdout.write(
                    f"inserted {filled['inserted']:,} entries in {filled['insert_s']:.1f} s; "
                    f"sealed {filled['sealed']:,} in {filled['seal_s']:.1f} s ({rate:,.0f} entries/s)"
                )
            f = measure_verify()
            self.stdout.write(
                f"audit verify: {f['entries']:,} entries, {f['audit_verify_per_s']:,} entries/s "
                f"(hashing the same rows in a plain loop: {f['audit_hash_per_s']:,}/s), "
                f"peak {f['audit_verify_peak_mib']} MiB{'' if f['ok'] else ' BROKEN'}"
            )
        elif operation == "partitions":
            self._partitions()
        elif operation == "seal":
            if options["every"] < 0:
                raise CommandError("--every: give a number of seconds, 0 or more")
            while True:
                try:
                    count = audit_seal()
                except AuditSealError as exc:
                    raise CommandError(f"not sealing a broken chain: {exc}; run 'nrm audit verify'") from None
                if not options["every"]:
                    break
                if count:
                    self.stdout.write(f"{count} audit entries sealed")
                close_old_connections()
                time.sleep(options["every"])
            self.stdout.write(f"{count} audit entries sealed")
        else:
            self._verify(options["checkpoint"], options["public_key"], seal=not options["no_seal"])

    def _partitions(self) -> None:
        from nrm.audit.partitions import ensure, partition_list

        created = ensure()
        found = partition_list()
        if not found:
            self.stdout.write("the audit table is not partitioned (partitions are for PostgreSQL)")
            return
        if created:
            self.stdout.write(f"created the partitions of {', '.join(map(str, created))}")
        for p in found:
            if p.year is None:
                self.stdout.write(f"{p.name}: any other year, {p.rows:,} rows")
            else:
                self.stdout.write(f"{p.name}: {p.year}, {p.rows:,} rows")

    def _verify(self, path: Path | None, public_key: str | None, *, seal: bool = True) -> None:
        try:
            marks = read_checkpoints(path, public_key) if path else []
        except CheckpointError as exc:
            raise CommandError(str(exc)) from None
        started = time.perf_counter()
        result = audit_verify(marks, seal=seal)
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise CommandError(f"audit chain broken after {result.checked} good entries: {result.problem}")
        rate = result.checked / elapsed if elapsed else 0
        against = f", {result.checkpoints} checkpoints hold" if path else ""
        self.stdout.write(
            f"audit chain intact: {result.checked} entries verified in {elapsed:.2f} s ({rate:,.0f} entries/s){against}"
        )

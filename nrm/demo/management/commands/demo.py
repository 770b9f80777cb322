"""``nrm demo [--no-serve] [--password P]``: a complete demo from nothing, then serve it."""

from __future__ import annotations

import secrets
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from nrm.actionplan.demo import DEMO_REPORTER, demo_action_plan
from nrm.cases.models import Case
from nrm.demo.generator import DEMO_USERS, demo_users, generate
from nrm.demo.reference import load_reference
from nrm.earlywarning.demo import demo_earlywarning
from nrm.helpline.demo import demo_helpline
from nrm.justice.demo import demo_justice
from nrm.prevention.demo import demo_prevention
from nrm.programmes.demo import demo_programmes


class Command(BaseCommand):
    help = "Migrate, load reference data and a synthetic data set, create demo users, and serve."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and exit")
        parser.add_argument("--password", help="password of every demo user (default: a random one, printed)")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--seed", type=int, default=2017)

    def handle(self, *args, no_serve: bool, password: str | None, port: int, seed: int, **options):
        password = password or secrets.token_urlsafe(9)
        self.stdout.write("migrating the database ...")
        call_command("migrate", verbosity=0, interactive=False)
        counts = load_reference()
        self.stdout.write("reference data: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
        demo_users(password)
        if not Case.objects.exists():
            started = time.perf_counter()

            def progress(done: int, total: int) -> None:
                sys.stdout.write(f"\rgenerating synthetic cases: {done}/{total}")
                sys.stdout.flush()

            n = generate(seed=seed, progress=progress)
            self.stdout.write(f"\nsynthetic cases: {n} in {time.perf_counter() - started:.1f} s")
        else:
            self.stdout.write(f"synthetic cases already present: {Case.objects.count()}")
        self.stdout.write(demo_justice(seed=seed))
        self.stdout.write(demo_helpline(seed=seed))
        self.stdout.write(demo_prevention(seed=seed))
        self.stdout.write(demo_earlywarning(seed=seed))
        self.stdout.write(demo_programmes(seed=seed))
        self.stdout.write(demo_action_plan(password=password, seed=seed))
        self.stdout.write(f"\nNRM demo: http://127.0.0.1:{port}/")
        self.stdout.write(f"users (password: {password}):")
        for username, _org, role, desc in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role:<12} {desc}")
        self.stdout.write(f"  {DEMO_REPORTER[0]:<12} {DEMO_REPORTER[2]:<12} {DEMO_REPORTER[3]}")
        if not no_serve:
            call_command("serve", port=port, worker=True)

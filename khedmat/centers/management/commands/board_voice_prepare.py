"""Make, at build or deploy time, every spoken part a center's board can need (khedmat.centers.voice)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from khedmat.centers import voice
from khedmat.centers.models import Center, Counter, QueueGroup


class Command(BaseCommand):
    help = ("Synthesise (or read from recorded clips) the parts of the board's spoken calls for a center, in "
            "every language that has a voice: the words, the ten digits, its queue groups' letters and its "
            "counters' numbers. Safe to run again: a part is made once. Runs offline (espeak-ng).")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("centers", nargs="*", metavar="SLUG", help="centers (default: every active one)")

    def handle(self, *args: Any, centers: list[str], **options: Any) -> None:
        chosen = Center.objects.filter(is_active=True)
        if centers:
            chosen = Center.objects.filter(slug__in=centers)
            unknown = sorted(set(centers) - set(chosen.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"No center {', '.join(unknown)}.")
        languages = [code for code, _name in settings.LANGUAGES if voice.can_announce(code)]
        silent = [code for code, _name in settings.LANGUAGES if code not in languages]
        if silent:
            self.stdout.write(f"No voice and no recorded clips for: {', '.join(silent)} (calls are shown, not "
                              "spoken; see docs/decisions/0021-board-voice.md).")
        for center in chosen:
            letters = {letter for group in QueueGroup.objects.filter(center=center).values_list("letter", flat=True)
                       for letter in group.upper()}
            counters = set(Counter.objects.filter(center=center, is_active=True).values_list("number", flat=True))
            for language in languages:
                try:
                    made = voice.pregenerate(language, letters=letters, counters=counters)
                except voice.VoiceUnavailable as error:
                    raise CommandError(f"{center.slug} ({language}): {error}") from error
                self.stdout.write(f"{center.slug} ({language}): {made} parts ready.")

"""`manage.py pii_trace <column-urn>` / `dab pii trace <column-urn>`: a column's PII origins and consumers."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lineage.management.commands._output import json_text, table
from pii.selectors import pii_trace


class Command(BaseCommand):
    help = "PII trace: a column's origins upstream and every downstream consumer, hop by hop."

    def add_arguments(self, parser):
        parser.add_argument("urn", help="URN of a column")
        parser.add_argument("--depth", type=int, help="hops each way (default MAX_LINEAGE_DEPTH)")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, urn: str, depth: int | None, format: str, **options):
        if depth is not None and not 1 <= depth <= 100:
            raise CommandError("--depth must be between 1 and 100")
        trace = pii_trace(urn=urn, max_depth=depth)
        if trace is None:
            raise CommandError(f"no column {urn}")
        if format == "json":
            self.stdout.write(json_text(trace.as_dict()))
            return
        c = trace.column
        status = (f"{c.pii_type}{', masked' if c.masked else ''} (confidence {c.confidence:.2f}, detected by "
                  f"{c.detected_by})" if c.is_pii else "not PII")
        self.stdout.write(f"{c.label} [{c.layer or c.capsule_type}]: {status}")
        for e in trace.evidence:
            self.stdout.write(f"  {e.get('signal', ''):<12} {e.get('weight', 0):+.2f}  {e.get('detail', '')}")
        self.stdout.write("")
        if trace.origins:
            self.stdout.write("Origins: " + ", ".join(f"{trace.columns[u].label} ({trace.columns[u].pii_type})"
                                                      for u in trace.origins))
        else:
            self.stdout.write("Origins: none (no PII upstream)")

        def hop_rows(hops):
            out = []
            for h in hops:
                a, b = trace.columns[h.source], trace.columns[h.target]
                flow = "PII flows" if h.carries else "hashed here" if h.masks else "stopped" if a.is_pii else "-"
                pii = f"{b.pii_type}{' (masked)' if b.masked else ''}" if b.is_pii else "not PII"
                out.append([h.depth, a.label, h.transformation, b.label, flow, pii])
            return out

        for title, hops in (("Upstream", trace.upstream), ("Downstream", trace.downstream)):
            self.stdout.write("")
            self.stdout.write(f"{title} ({len(hops)} hops)")
            if hops:
                self.stdout.write(table(hop_rows(hops), ["hops", "from", "transformation", "into", "flow", "into is"]))
        self.stdout.write("")
        if trace.exposures:
            self.stdout.write("Exposures: " + ", ".join(f"{e['name']} ({e['type']}, reads {e['via']})"
                                                        for e in trace.exposures))
        else:
            self.stdout.write("Exposures: none downstream")
        if trace.truncated:
            self.stdout.write("(cut at the depth limit; pass --depth to go further)")

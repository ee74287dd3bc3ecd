"""CSV output for exports (``?format=csv``)."""

import csv
import io

from rest_framework import renderers


class CSVRenderer(renderers.BaseRenderer):
    """Renders a list of rows (lists) as CSV; anything else (an error body) as a one-column CSV of its JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if isinstance(data, list):
            writer.writerows(data)
        else:
            writer.writerow(["error"])
            writer.writerow([str(data)])
        return buffer.getvalue().encode(self.charset)

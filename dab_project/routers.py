from rest_framework.routers import SimpleRouter

from dab_project.converters import names_re_path


class Router(SimpleRouter):
    """Routes answer with or without a trailing slash: the seed's endpoints have none. A viewset looked up by
    ``urn`` or ``name`` gets it escaped in its URLs and unescaped in ``self.kwargs`` (dab_project.converters)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
        self._url_conf = names_re_path

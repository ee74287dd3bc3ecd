from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Routes answer with or without a trailing slash: the seed's endpoints have none."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"

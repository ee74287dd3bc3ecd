from django.urls import register_converter


class UrnConverter:
    """A DAB URN in a URL path, as it is: `urn:dab:dbt:model:shop.orders` (colons and dots, no slash)."""

    regex = r"urn:[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UrnConverter, "urn")

"""The project's URLs plus one view that fails, to see the 500 page a steward would get."""

from django.urls import path

from dab_project.urls import urlpatterns as project_urlpatterns


def failing_view(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("failing/", failing_view), *project_urlpatterns]

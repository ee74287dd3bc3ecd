from django.urls import re_path

from catalog.api import views
from dab_project.routers import Router

router = Router()
router.register("capsules", views.CapsuleViewSet, basename="capsule")
router.register("columns", views.ColumnViewSet, basename="column")
router.register("owners", views.OwnerViewSet, basename="owner")
router.register("domains", views.DomainViewSet, basename="domain")
router.register("source-systems", views.SourceSystemViewSet, basename="source-system")

urlpatterns = [
    re_path(r"^search/?$", views.SearchView.as_view(), name="search"),
    re_path(r"^search/suggest/?$", views.SuggestView.as_view(), name="search-suggest"),
    *router.urls,
]

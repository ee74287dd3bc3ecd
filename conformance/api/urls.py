from django.urls import re_path

from conformance.api import views
from dab_project.converters import URN_GROUP, names_re_path
from dab_project.routers import Router

router = Router()
router.register("conformance/rules", views.RuleViewSet, basename="conformance-rule")
router.register("conformance/violations", views.ViolationViewSet, basename="conformance-violation")
router.register("conformance/evaluations", views.ScoreSnapshotViewSet, basename="conformance-evaluation")

urlpatterns = [
    re_path(r"^conformance/score/?$", views.ScoreView.as_view(), name="conformance-score"),
    re_path(r"^conformance/evaluate/?$", views.EvaluateView.as_view(), name="conformance-evaluate"),
    # An escaped URN never holds '/', so the catalog's capsules/{urn} route cannot swallow this one.
    names_re_path(
        rf"^capsules/{URN_GROUP}/violations/?$",
        views.CapsuleViolationsView.as_view(),
        name="capsule-violations",
    ),
    *router.urls,
]

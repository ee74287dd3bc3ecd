from django.urls import path

from conformance import views

app_name = "conformance"

urlpatterns = [
    path("conformance/", views.DashboardView.as_view(), name="dashboard"),
    path("conformance/evaluate/", views.EvaluateView.as_view(), name="evaluate"),
    path("conformance/violations/", views.ViolationListView.as_view(), name="violation_list"),
    path("conformance/violations/triage/", views.ViolationTriageView.as_view(), name="violation_triage"),
    path("conformance/violations/<uuid:pk>/", views.ViolationDetailView.as_view(), name="violation_detail"),
    path("conformance/rules/", views.RuleListView.as_view(), name="rule_list"),
    path("conformance/rules/<str:rule_id>/", views.RuleDetailView.as_view(), name="rule_detail"),
    path("conformance/evaluations/<uuid:pk>/", views.SnapshotDetailView.as_view(), name="snapshot_detail"),
]

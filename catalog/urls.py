from django.urls import path

import dab_project.converters  # noqa: F401  (registers the urn converter)
from catalog import views

app_name = "catalog"

urlpatterns = [
    path("capsules/", views.CapsuleListView.as_view(), name="capsule_list"),
    path("capsules/<urn:urn>/", views.CapsuleDetailView.as_view(), name="capsule_detail"),
    path("columns/<urn:urn>/", views.ColumnDetailView.as_view(), name="column_detail"),
    path("domains/", views.DomainListView.as_view(), name="domain_list"),
    path("domains/<name:name>/", views.DomainDetailView.as_view(), name="domain_detail"),
    path("owners/", views.OwnerListView.as_view(), name="owner_list"),
    path("owners/<uuid:pk>/", views.OwnerDetailView.as_view(), name="owner_detail"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("search/suggest/", views.SearchSuggestView.as_view(), name="search_suggest"),
]

from catalog.api import views
from dab_project.routers import Router

router = Router()
router.register("owners", views.OwnerViewSet, basename="owner")
router.register("domains", views.DomainViewSet, basename="domain")
router.register("source-systems", views.SourceSystemViewSet, basename="source-system")

urlpatterns = router.urls

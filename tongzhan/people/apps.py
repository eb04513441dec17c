from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "tongzhan.people"
    label = "people"
    verbose_name = _("统战对象库")

    def ready(self):
        from tongzhan.regions import services as region_services

        from .services.persons import reindex_region

        if reindex_region not in region_services.SUBTREE_MOVED:
            region_services.SUBTREE_MOVED.append(reindex_region)

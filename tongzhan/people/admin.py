"""The Django admin for code tables and categories. People are not editable here: the admin would
bypass the services (audit, history, encryption). `PersonAdmin` exists read-only for the benchmark's
baseline and for administrators' diagnosis, scoped like every other read."""

from django.contrib import admin

from tongzhan.core.scoping import restrict

from .models import Category, Country, Education, Ethnicity, Person, PoliticalAffiliation, Religion


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "verify_days", "sort_order"]
    list_editable = ["verify_days"]


for model in (Country, Education, Ethnicity, PoliticalAffiliation, Religion):
    admin.site.register(model, list_display=["code", "name"], search_fields=["code", "name"])


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "sex", "birth_date", "id_number_masked", "phone_masked", "region"]
    search_fields = ["name", "name_sort"]
    list_filter = ["region", "memberships__category", "sex"]
    list_select_related = ["region"]
    show_full_result_count = True

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

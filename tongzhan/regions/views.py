"""Screens to browse, add, rename, move, retire and import regions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import RegionCreateForm, RegionImportForm, RegionMoveForm, RegionRenameForm


def region_list(request):
    if not request.user.may("regions.region", "read"):
        raise PermissionDenied
    regions = selectors.regions_visible_to(request.user).order_by("path")
    ordered = selectors.tree_order(list(regions))
    return render(request, "regions/region_list.html",
                  {"regions": ordered, "can_change": request.user.may("regions.region", "change")})


def region_create(request):
    if not request.user.may("regions.region", "change"):
        raise PermissionDenied
    form = RegionCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            region = services.create_region(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已新增 %(name)s") % {"name": region.name})
            return redirect("regions:region-list")
    return render(request, "regions/region_form.html", {"form": form, "title": _("新增区划")})


def region_rename(request, pk):
    region = selectors.get_region_for_user(request.user, pk, "change")
    form = RegionRenameForm(request.POST or None, initial={"name": region.name})
    if request.method == "POST" and form.is_valid():
        services.rename_region(actor=request.user, region=region, name=form.cleaned_data["name"])
        messages.success(request, _("已更名"))
        return redirect("regions:region-list")
    return render(request, "regions/region_form.html", {"form": form, "region": region, "title": _("更名")})


def region_move(request, pk):
    region = selectors.get_region_for_user(request.user, pk, "change")
    form = RegionMoveForm(request.POST or None, user=request.user, region=region)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_region(actor=request.user, region=region, new_parent=form.cleaned_data["new_parent"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "messages", [str(exc)]))
        else:
            messages.success(request, _("已调整隶属关系"))
            return redirect("regions:region-list")
    return render(request, "regions/region_form.html", {"form": form, "region": region, "title": _("调整隶属")})


@require_POST
def region_retire(request, pk):
    region = selectors.get_region_for_user(request.user, pk, "change")
    try:
        if region.is_retired:
            services.restore_region(actor=request.user, region=region)
            messages.success(request, _("已恢复 %(name)s") % {"name": region.name})
        else:
            services.retire_region(actor=request.user, region=region)
            messages.success(request, _("已撤销 %(name)s") % {"name": region.name})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("regions:region-list")


def region_import(request):
    if not request.user.may("regions.region", "change"):
        raise PermissionDenied
    form = RegionImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = services.import_regions(actor=request.user, data=upload.read(), filename=upload.name)
        if not result.errors:
            messages.success(request, _("导入完成：新增 %(c)d，更新 %(u)d，未变 %(n)d")
                             % {"c": result.created, "u": result.updated, "n": result.unchanged})
            return redirect("regions:region-list")
    return render(request, "regions/region_import.html", {"form": form, "result": result})

"""HTTP for the registry: bind a form, call a selector or a service, render or redirect (house rule 1)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongzhan.core import reauth
from tongzhan.core.crypto import IntegrityAlarm

from . import selectors, services
from .forms import (
    SUB_RECORD_FORMS,
    DeletePersonForm,
    JoinCategoryForm,
    LeaveCategoryForm,
    PersonForm,
    PersonSearchForm,
    SavedSearchForm,
    UnmaskForm,
    VersionForm,
    detail_form_class,
    person_initial,
)
from .services import disclosure
from .services.records import SUB_RECORD_MODELS


def _require_role(user, label: str, action: str) -> None:
    if not user.may(label, action):
        raise PermissionDenied


def person_list(request):
    """The query system. One URL: the full page, or just the results for htmx as the user types.

    A query is a GET, so it can be bookmarked, except an ID number or phone number: app.js sends
    those by POST (CSRF-protected) so they never reach a URL, the browser history or an access log
    (SECURITY.md D6). A POST only reads; the saved-search and paging links then leave the number out.
    """
    _require_role(request.user, "people.person", "read")
    data = request.POST if request.method == "POST" else request.GET
    form = PersonSearchForm(data or None, user=request.user)
    page = None
    if form.is_bound and form.is_valid():
        page = selectors.search_people(request.user, form.criteria())
        if page.kind == "id":  # audited: that an ID search happened and its count, never the number (E1)
            disclosure.record_id_search(actor=request.user, results=page.count)
    elif not form.is_bound:
        form = PersonSearchForm(QueryDict(""), user=request.user)
        form.is_valid()
        page = selectors.search_people(request.user, form.criteria())
    query = data.copy()
    for name in ("page", "csrfmiddlewaretoken"):
        query.pop(name, None)
    if page is not None and page.kind in ("id", "phone"):
        query.pop("q", None)
    context = {"form": form, "page": page, "query": query.urlencode(),
               "can_change": request.user.may("people.person", "change"),
               "saved_searches": selectors.saved_search_list_for(request.user),
               "save_form": SavedSearchForm(initial={"query": query.urlencode()})}
    template = "people/person_list.html#results" if request.htmx and not request.htmx.boosted else "people/person_list.html"
    response = render(request, template, context)
    if request.method == "POST" and request.htmx:
        response["HX-Push-Url"] = "false"
    return response


def person_create(request):
    _require_role(request.user, "people.person", "change")
    form = PersonForm(request.POST or None, user=request.user, initial={"legal_basis": "statutory"})
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_person(actor=request.user, data=_person_input(form))
        except services.DuplicateIdentity as exc:
            duplicate = _duplicate_answer(request, exc.person)
            if duplicate["visible"]:
                messages.info(request, _("该证件号码已登记，已为您打开此人的档案，请在此基础上补充信息。"))
                return redirect("people:person-detail", pk=exc.person.pk)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("已新增统战对象 %(name)s") % {"name": person.name})
            return redirect("people:person-detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "duplicate": duplicate, "creating": True})


def _duplicate_answer(request, person) -> dict:
    visible = selectors.people_visible_to(request.user).filter(pk=person.pk).exists()
    township = next((r for r in [person.region, person.region.parent, getattr(person.region.parent, "parent", None)]
                     if r is not None and r.level == "township"), person.region)
    return {"visible": visible, "township": township.name}


def _person_input(form) -> services.PersonInput:
    data = form.cleaned_data
    return services.PersonInput(
        name=data["name"], region=data["region"], sex=data.get("sex") or "", birth_date=data.get("birth_date"),
        id_kind=data["id_kind"], id_number=data.get("id_number") or "", id_country=data.get("id_country"),
        phone=data.get("phone") or "", address=data.get("address") or "", ethnicity=data.get("ethnicity"),
        religion=data.get("religion"), political_affiliation=data.get("political_affiliation"),
        education=data.get("education"), native_place=data.get("native_place") or "",
        work_unit=data.get("work_unit") or "", job_title=data.get("job_title") or "", note=data.get("note") or "",
        legal_basis=data["legal_basis"],
    )


def _attach_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _detail_context(request, person) -> dict:
    try:
        sensitive = selectors.sensitive_values(person)
        alarm = False
    except IntegrityAlarm:
        sensitive, alarm = {"address": "", "ethnicity": None, "religion": None}, True
    return {"person": person, "sensitive": sensitive, "integrity_alarm": alarm,
            **selectors.person_detail_parts(person),
            "join_form": JoinCategoryForm(), "can_change": request.user.may("people.person", "change"),
            "can_delete": request.user.may("people.person", "delete"),
            "can_unmask": request.user.may("people.person", "unmask")}


def person_detail(request, pk):
    person = selectors.get_person_for_user(request.user, pk)
    disclosure.record_person_view(actor=request.user, person=person)
    return render(request, "people/person_detail.html", _detail_context(request, person))


def person_unmask(request, pk):
    """The full ID number and phone on this one response, after a reason and a re-entered password (D3).

    Order matters: out of scope is the 404 of a missing person, a role without the grant gets 403, and
    only then is the password asked for. The values are rendered, never put in the session or the URL.
    """
    person = selectors.get_person_for_user(request.user, pk)
    _require_role(request.user, "people.person", "unmask")
    if not reauth.is_recent(request):
        return reauth.redirect_to_reauth(request, reverse("people:person-unmask", kwargs={"pk": person.pk}))
    form = UnmaskForm(request.POST or None)
    unmasked = None
    if request.method == "POST" and form.is_valid():
        try:
            unmasked = disclosure.unmask_person(actor=request.user, person=person,
                                                reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _attach_errors(form, exc)
        except IntegrityAlarm:
            messages.error(request, _("该记录的加密数据校验失败，可能已被篡改，请联系安全管理员。"))
            return redirect("people:person-detail", pk=person.pk)
    context = {**_detail_context(request, person), "unmask_form": None if unmasked else form, "unmasked": unmasked}
    return render(request, "people/person_detail.html", context)


def person_edit(request, pk):
    person = selectors.get_person_for_user(request.user, pk, "change")
    try:
        initial = person_initial(person, selectors.sensitive_values(person))
    except IntegrityAlarm:
        messages.error(request, _("该记录的加密数据校验失败，可能已被篡改，请联系安全管理员。"))
        return redirect("people:person-detail", pk=person.pk)
    form = PersonForm(request.POST or None, user=request.user, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(actor=request.user, person=person, data=_person_input(form),
                                   expected_version=form.cleaned_data.get("version") or 0)
        except services.EditConflict as exc:
            conflict = exc
            form.data = form.data.copy()
            form.data["version"] = exc.current_version
        except services.DuplicateIdentity:
            form.add_error("id_number", _("该证件号码已登记在另一条记录中，不能重复登记"))
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("people:person-detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": person, "conflict": conflict})


@require_POST
def person_verify(request, pk):
    person = selectors.get_person_for_user(request.user, pk, "change")
    services.verify_person(actor=request.user, person=person)
    messages.success(request, _("已确认 %(name)s 的信息准确无误") % {"name": person.name})
    return redirect("people:person-detail", pk=person.pk)


def person_delete(request, pk):
    person = selectors.get_person_for_user(request.user, pk, "delete")
    form = DeletePersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.delete_person(actor=request.user, person=person, reason=form.cleaned_data["reason"])
        messages.success(request, _("已删除该记录"))
        return redirect("people:person-list")
    return render(request, "people/person_delete.html", {"person": person, "form": form})


def membership_add(request, pk):
    person = selectors.get_person_for_user(request.user, pk, "change")
    chooser = JoinCategoryForm(request.POST or request.GET or None)
    if not chooser.is_valid():
        return render(request, "people/membership_form.html", {"person": person, "chooser": chooser})
    category = chooser.cleaned_data["category"]
    form = detail_form_class(category.code)(request.POST if request.method == "POST" and "save" in request.POST else None)
    if form.is_bound and form.is_valid():
        attributes = {k: v for k, v in form.cleaned_data.items()}
        try:
            services.join_category(actor=request.user, person=person, category=category, attributes=attributes,
                                   since=chooser.cleaned_data.get("since"))
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("已加入“%(cat)s”库") % {"cat": category.name})
            return redirect("people:person-detail", pk=person.pk)
    return render(request, "people/membership_form.html",
                  {"person": person, "chooser": chooser, "category": category, "form": form})


def membership_edit(request, pk):
    membership = selectors.get_membership_for_user(request.user, pk, "change")
    form_class = detail_form_class(membership.category_id)
    detail = membership.detail
    form = form_class(request.POST or None, instance=None, initial=services.categories.detail_initial(membership))
    version = VersionForm(request.POST or None, initial={"version": membership.version})
    conflict = None
    if request.method == "POST" and form.is_valid() and version.is_valid():
        try:
            services.update_category_detail(actor=request.user, membership=membership, attributes=form.cleaned_data,
                                            expected_version=version.cleaned_data["version"])
        except services.EditConflict as exc:
            conflict = exc
            version = VersionForm(initial={"version": exc.current_version})
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("people:person-detail", pk=membership.person_id)
    return render(request, "people/membership_form.html",
                  {"person": membership.person, "membership": membership, "category": membership.category,
                   "form": form, "version_form": version, "conflict": conflict, "detail": detail})


def membership_leave(request, pk):
    membership = selectors.get_membership_for_user(request.user, pk, "change")
    form = LeaveCategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.leave_category(actor=request.user, membership=membership, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已退出“%(cat)s”库，相关信息已存档") % {"cat": membership.category.name})
        return redirect("people:person-detail", pk=membership.person_id)
    return render(request, "people/membership_leave.html", {"membership": membership, "form": form})


def _sub_model(kind):
    if kind not in SUB_RECORD_MODELS:
        raise Http404
    return SUB_RECORD_MODELS[kind]


def subrecord_add(request, pk, kind):
    person = selectors.get_person_for_user(request.user, pk, "change")
    model = _sub_model(kind)
    form = SUB_RECORD_FORMS[kind](request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_sub_record(actor=request.user, person=person, kind=kind, attributes=form.cleaned_data)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("已添加%(what)s") % {"what": model._meta.verbose_name})
            return redirect("people:person-detail", pk=person.pk)
    return render(request, "people/subrecord_form.html", {"person": person, "form": form, "model_name": model._meta.verbose_name})


def subrecord_edit(request, kind, record_pk):
    model = _sub_model(kind)
    record = selectors.get_sub_record_for_user(request.user, model, record_pk, "change")
    form = SUB_RECORD_FORMS[kind](request.POST or None, instance=None,
                                  initial={f: getattr(record, f if not model._meta.get_field(f).is_relation else f"{f}_id")
                                           for f in SUB_RECORD_FORMS[kind]._meta.fields})
    version = VersionForm(request.POST or None, initial={"version": record.version})
    conflict = None
    if request.method == "POST" and form.is_valid() and version.is_valid():
        try:
            services.update_sub_record(actor=request.user, record=record, attributes=form.cleaned_data,
                                       expected_version=version.cleaned_data["version"])
        except services.EditConflict as exc:
            conflict = exc
            version = VersionForm(initial={"version": exc.current_version})
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("people:person-detail", pk=record.person_id)
    return render(request, "people/subrecord_form.html",
                  {"person": record.person, "form": form, "version_form": version, "conflict": conflict,
                   "model_name": model._meta.verbose_name, "record": record, "kind": kind})


@require_POST
def subrecord_delete(request, kind, record_pk):
    model = _sub_model(kind)
    record = selectors.get_sub_record_for_user(request.user, model, record_pk, "change")
    person_id = record.person_id
    services.delete_sub_record(actor=request.user, record=record)
    messages.success(request, _("已删除%(what)s") % {"what": model._meta.verbose_name})
    return redirect("people:person-detail", pk=person_id)


def stale_list(request):
    """Records not verified within their category's period, grouped by village."""
    _require_role(request.user, "people.person", "read")
    form = PersonSearchForm(request.GET or None, user=request.user)
    category = region = None
    if form.is_bound and form.is_valid():
        category, region = form.cleaned_data.get("category"), form.cleaned_data.get("region")
    rows = selectors.stale_people(request.user, category=category, region=region)
    groups: dict = {}
    for membership in rows:
        groups.setdefault(membership.person.region, []).append(membership)
    return render(request, "people/stale_list.html", {"form": form, "groups": groups, "total": len(rows)})


def saved_search_save(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SavedSearchForm(request.POST)
    if form.is_valid():
        saved = services.save_saved_search(actor=request.user, name=form.cleaned_data["name"],
                                           query=form.cleaned_data.get("query") or "")
        messages.success(request, _("已保存查询“%(name)s”，本单位同事均可使用") % {"name": saved.name})
        return redirect(f"{reverse('people:person-list')}?{saved.query}")
    messages.error(request, _("请填写查询名称"))
    return redirect(f"{reverse('people:person-list')}?{form.data.get('query', '')}")


def saved_search_open(request, pk):
    saved = selectors.get_saved_search_for_user(request.user, pk)
    return redirect(f"{reverse('people:person-list')}?{saved.query}")



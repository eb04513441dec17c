"""HTTP for the public side: no login, no session needed, nothing personal readable back (SECURITY.md H1–H4).

These are the only views a stranger reaches (core.middleware.PUBLIC_URL_NAMES), and the only ones the
public host name serves (collection.middleware.PublicHostMiddleware).
"""

from __future__ import annotations

import math

from captcha.views import captcha_image as draw_captcha
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tongzhan.core.middleware import SecurityHeadersMiddleware

from . import captcha, ratelimit, selectors, services
from .forms import ReceiptForm
from .public_forms import PublicSubmissionForm, min_fill_seconds, started_token

MAX_BODY_BYTES = 32 * 1024  # the form's text fits many times over; anything larger is not a person's answer
MAX_FIELDS = 80  # the longest form (every askable field and every category attribute) has about 45


def _address(request) -> str:
    return SecurityHeadersMiddleware.client_address(request)


def _refusal(request, status: int, message: str):
    return render(request, "collection/public_refused.html", {"message": message}, status=status)


def _too_many(request, exc: ratelimit.RateLimited):
    """429 with Retry-After and a Chinese page saying when to come back (H1)."""
    response = render(request, "collection/public_refused.html", {
        "message": _("提交过于频繁，请约 %(minutes)s 分钟后再试。") % {"minutes": math.ceil(exc.retry_after / 60)},
        "too_many": True,
    }, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _oversized(request):
    """Size and field-count limits, checked before the body is parsed (H4)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY_BYTES + 1
    if length > MAX_BODY_BYTES:
        return _refusal(request, 413, _("提交的内容过大（超过 %(kb)s KB），未被接受。请精简后重新提交。")
                        % {"kb": MAX_BODY_BYTES // 1024})
    if len(request.POST) + len(request.FILES) > MAX_FIELDS:
        return _refusal(request, 400, _("提交的项目数量超出表单范围，未被接受。请刷新页面后重新填写。"))
    if request.FILES:
        return _refusal(request, 400, _("本表单不接受上传文件。"))
    return None


def public_index(request):
    return render(request, "collection/public_index.html", {"collections": list(selectors.open_collections())})


def _submission_input(form) -> services.SubmissionInput:
    data = form.cleaned_data
    guardian = {}
    if form.minor:
        guardian = {"name": data["guardian_name"], "relation": data["guardian_relation"],
                    "phone": data["guardian_phone"]}
    return services.SubmissionInput(
        region=data["region"], name=data["name"], id=data["id_number"],
        values={code: data[code] for code in form.collection.fields if data.get(code)},
        detail=form.detail_values(), consent_general=data["consent_general"],
        consent_sensitive=data["consent_sensitive"], guardian=guardian,
        consent_guardian=bool(data.get("consent_guardian")),
    )


def _attach(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def public_form(request, pk):
    collection = selectors.get_open_collection(pk)
    address = _address(request)
    if request.method == "POST":
        refused = _oversized(request)
        if refused is not None:
            return refused
        try:
            ratelimit.take("attempt-ip", ratelimit.address_key(address))
            ratelimit.peek("submit-ip", ratelimit.address_key(address))
            ratelimit.peek("submit-all", ratelimit.GLOBAL_KEY)
        except ratelimit.RateLimited as exc:
            return _too_many(request, exc)
        form = PublicSubmissionForm(request.POST, collection=collection)
        if form.is_valid():
            try:
                submission, code = services.submit_publicly(collection=collection, data=_submission_input(form),
                                                            ip=address)
            except ratelimit.RateLimited as exc:
                return _too_many(request, exc)
            except ValidationError as exc:
                _attach(form, exc)
            else:
                # The code is on this one response and nowhere else: not in a URL, a cookie or the session.
                return render(request, "collection/public_done.html",
                              {"collection": collection, "code": code, "submission": submission})
    else:
        form = PublicSubmissionForm(collection=collection, initial={"started": started_token(collection.pk)})
    return render(request, "collection/public_form.html", {
        "collection": collection, "form": form, "detail_form": form.detail_form,
        "min_seconds": min_fill_seconds(),
    })


def receipt(request):
    """The status behind a receipt code, and nothing else (H3). The code travels by POST, never in a URL."""
    status = None
    if request.method == "POST":
        refused = _oversized(request)
        if refused is not None:
            return refused
        try:
            ratelimit.take("receipt-ip", ratelimit.address_key(_address(request)))
        except ratelimit.RateLimited as exc:
            return _too_many(request, exc)
        form = ReceiptForm(request.POST)
        if form.is_valid():
            status = selectors.status_for_receipt(form.cleaned_data["code"])
            if status is None:
                form.add_error("code", _("未找到该回执码，请核对后重新输入（回执码共 32 位字母和数字）"))
    else:
        form = ReceiptForm()
    return render(request, "collection/public_receipt.html", {"form": form, "status": status})


def captcha_image(request):
    key = request.GET.get("key", "")
    if not captcha.is_key(key):
        raise Http404
    return draw_captcha(request, key, scale=1)


def captcha_refresh(request):
    """A new challenge for the "换一张" button (collection.js); counted per address, as each is a row."""
    try:
        ratelimit.take("captcha-ip", ratelimit.address_key(_address(request)))
    except ratelimit.RateLimited as exc:
        response = JsonResponse({"error": _("请求过于频繁，请稍后再试")}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    key = captcha.new_challenge()
    return JsonResponse({"key": key, "image": captcha.image_url(key)})

"""Every read of the public collection, through the one scope function (house rule 3).

The public side reads only open collections and, behind a receipt code, one submission's status
(SECURITY.md H3). Staff read collections and submissions through `restrict`; out of scope is a 404 like
a missing row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongzhan.core import identity
from tongzhan.core.crypto import IntegrityAlarm
from tongzhan.core.scoping import READ, restrict
from tongzhan.people.forms import detail_form_class
from tongzhan.people.models import (
    CategoryMembership,
    Education,
    Ethnicity,
    Person,
    PoliticalAffiliation,
    Religion,
)
from tongzhan.people.selectors import people_visible_to, sensitive_values

from .models import ASKABLE_FIELDS, ENCRYPTED_ASKABLE, Collection, Submission
from .services import receipt_hash

# --- the public side -------------------------------------------------------------------------------


def open_collections():
    today = timezone.localdate()
    return (Collection.objects.filter(opens_on__lte=today, closes_on__gte=today)
            .select_related("township", "category").order_by("township__code", "-opens_on", "-id"))


def get_open_collection(pk) -> Collection:
    try:
        return open_collections().get(pk=int(pk))
    except (Collection.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


@dataclass(frozen=True)
class ReceiptStatus:
    """All the public side may read back: the status, the note of a return, and where to submit anew."""

    status: str
    label: str
    note: str
    collection_pk: int
    collection_open: bool


def status_for_receipt(code: str) -> ReceiptStatus | None:
    row = (Submission.objects.filter(receipt_hash=receipt_hash(code))
           .values("status", "review_note", "collection_id", "collection__opens_on", "collection__closes_on")
           .first())
    if row is None:
        return None
    today = timezone.localdate()
    returned = row["status"] == Submission.Status.RETURNED
    return ReceiptStatus(
        status=row["status"], label=str(Submission.Status(row["status"]).label),
        note=row["review_note"] if returned else "", collection_pk=row["collection_id"],
        collection_open=row["collection__opens_on"] <= today <= row["collection__closes_on"],
    )


# --- staff ---------------------------------------------------------------------------------------------


def collections_visible_to(user, action: str = READ):
    pending = Count("submissions", filter=Q(submissions__status=Submission.Status.PENDING))
    return (restrict(Collection.objects.all(), user, action).select_related("township", "category")
            .annotate(pending=pending))


def get_collection_for_user(user, pk, action: str = READ) -> Collection:
    try:
        return restrict(Collection.objects.all(), user, action).select_related("township", "category").get(pk=int(pk))
    except (Collection.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def submissions_visible_to(user, action: str = READ):
    return restrict(Submission.objects.all(), user, action).select_related(
        "collection__category", "region", "decided_by")


def get_submission_for_user(user, pk, action: str = READ) -> Submission:
    try:
        return submissions_visible_to(user, action).select_related("collection__township", "person").get(pk=int(pk))
    except (Submission.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def queue(user, status: str, limit: int = 200) -> list[Submission]:
    return list(submissions_visible_to(user).filter(status=status).defer(
        "id_number_enc", "phone_enc", "address_enc", "ethnicity_enc", "religion_enc", "guardian_enc")[:limit])


# --- the review page --------------------------------------------------------------------------------


CODE_TABLES = {"ethnicity": Ethnicity, "religion": Religion, "political_affiliation": PoliticalAffiliation,
               "education": Education}


def submitted_values(submission: Submission) -> dict:
    """Everything the submitter filled, decrypted, code-table values as rows. Raises IntegrityAlarm."""
    values = {"name": submission.name, "region": submission.region}
    for code in ASKABLE_FIELDS:
        raw = submission.decrypt(code) if code in ENCRYPTED_ASKABLE else submission.answers.get(code, "")
        if not raw:
            continue
        values[code] = CODE_TABLES[code].objects.filter(pk=raw).first() if code in CODE_TABLES else raw
    return {code: value for code, value in values.items() if value}


def person_values(person: Person) -> dict:
    """The same fields of a registry record, for the side-by-side view. Raises IntegrityAlarm."""
    sensitive = sensitive_values(person)
    values = {"name": person.name, "region": person.region, "phone": person.decrypt("phone"),
              "address": sensitive["address"], "ethnicity": sensitive["ethnicity"],
              "religion": sensitive["religion"], "political_affiliation": person.political_affiliation,
              "education": person.education}
    for code in ("native_place", "work_unit", "job_title", "note"):
        values[code] = getattr(person, code)
    return values


@dataclass
class Match:
    """Who in the registry has the submission's ID: nobody, a person the reviewer sees, or someone else's."""

    state: str  # "none" | "visible" | "elsewhere"
    person: Person | None = None
    in_category: bool = False


def match_for(user, submission: Submission) -> Match:
    exists = Person.objects.filter(id_number_bidx=submission.id_number_bidx).values_list("pk", flat=True).first()
    if exists is None:
        return Match("none")
    person = (people_visible_to(user).select_related("region", "political_affiliation", "education")
              .filter(pk=exists).first())
    if person is None:  # registered elsewhere: say so, and nothing about where or whom
        return Match("elsewhere")
    member = CategoryMembership.objects.filter(person=person, category_id=submission.collection.category_id,
                                               status=CategoryMembership.Status.ACTIVE).exists()
    return Match("visible", person, member)


def _display(value) -> str:
    if value is None:
        return ""
    return str(value)


LABELS = {"name": gettext_lazy("姓名"), "region": gettext_lazy("所在村（社区）")}


def comparison_rows(submission: Submission, match: Match) -> list[dict]:
    """One row per submitted value: the value, the registry's, and whether to suggest taking it.

    Raises IntegrityAlarm when a ciphertext of the submission or of the person fails to authenticate.
    """
    mine = submitted_values(submission)
    theirs = person_values(match.person) if match.person is not None else {}
    rows = []
    for code, value in mine.items():
        label = LABELS.get(code) or ASKABLE_FIELDS[code][0]
        existing = theirs.get(code)
        same = match.person is not None and _display(existing) == _display(value)
        creating = match.person is None
        shown, shown_existing = _display(value), _display(existing)
        if code == "phone":  # phones stay masked on screen (D3); the comparison used the full values
            shown = identity.mask_phone(shown)
            shown_existing = match.person.phone_masked if match.person is not None else ""
        rows.append({
            "code": code, "label": str(label), "submitted": shown, "existing": shown_existing,
            "same": same,
            # A new person takes the name and village necessarily; the rest is the reviewer's choice.
            "choosable": not (creating and code in ("name", "region")),
            "suggest": not same,
        })
    return rows


def detail_rows(submission: Submission) -> list[tuple[str, str]]:
    """The category's attributes as the submitter gave them, labelled and displayed."""
    form = detail_form_class(submission.collection.category_id)()
    rows = []
    for name, value in submission.detail.items():
        if name not in form.fields:
            continue
        field = form.fields[name]
        shown = value
        if isinstance(value, bool):
            shown = _("是") if value else _("否")
        elif getattr(field, "choices", None) and value not in (None, ""):
            shown = dict((str(k), v) for k, v in field.choices).get(str(value), value)
        rows.append((str(field.label), "" if shown is None else str(shown)))
    return rows


def guardian_display(submission: Submission) -> dict:
    try:
        return submission.guardian()
    except IntegrityAlarm:
        return {"alarm": True}

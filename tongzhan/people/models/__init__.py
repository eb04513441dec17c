"""The registry: people, their ten categories, sub-records, history and code tables."""

from .categories import (  # noqa: F401
    DETAIL_MODELS,
    CategoryCode,
    CategoryDetail,
    CategoryMembership,
    DemocraticPartyDetail,
    EntrepreneurDetail,
    EthnicMinorityDetail,
    FolkSiteLeaderDetail,
    NotableDetail,
    OutboundTalentDetail,
    OverseasDetail,
    ProfessionalDetail,
    SpecialTalentDetail,
    VenueLeaderDetail,
)
from .codes import Category, Country, Education, Ethnicity, PoliticalAffiliation, Religion  # noqa: F401
from .exports import ExportRequest  # noqa: F401
from .person import SENSITIVE_FIELDS, Person, PersonSearchDoc  # noqa: F401
from .records import EducationRecord, HistoryEntry, Honour, Post, Relative, SavedSearch  # noqa: F401

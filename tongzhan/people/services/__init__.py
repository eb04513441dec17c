"""Every write to the registry. Views, imports and commands call these; nothing else saves people."""

from .categories import join_category, leave_category, update_category_detail  # noqa: F401
from .common import DuplicateIdentity, EditConflict  # noqa: F401
from .persons import (  # noqa: F401
    PersonInput,
    create_person,
    delete_person,
    index_person,
    reindex_region,
    update_person,
    verify_person,
)
from .records import add_sub_record, delete_sub_record, save_saved_search, update_sub_record  # noqa: F401

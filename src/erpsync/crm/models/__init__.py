"""The CRM's tables. Importing this package registers every one of them on ``crm.db.Base``."""

from .company import Company
from .journal import JournalRow
from .lists import CrmList, ListItem
from .person import Person
from .project import Project
from .tokens import ApiToken
from .users import Group, User, group_members

__all__ = [
    "ApiToken",
    "Company",
    "CrmList",
    "Group",
    "JournalRow",
    "ListItem",
    "Person",
    "Project",
    "User",
    "group_members",
]

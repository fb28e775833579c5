"""The case store: the only layer that speaks SQL."""

from bwcases.store.advisors import AdvisorStore
from bwcases.store.assessments import AssessmentLoader, AssessmentStore, LoadSummary
from bwcases.store.bulk import BulkStore
from bwcases.store.cases import CaseStore
from bwcases.store.comments import CommentStore
from bwcases.store.digests import DigestItems, DigestScope, DigestStore
from bwcases.store.drafts import DraftStore
from bwcases.store.evidence import EvidenceStore, Upload
from bwcases.store.gateway import default_path, resolve_url
from bwcases.store.picc import PiccStore
from bwcases.store.plan_edits import PlanEditStore
from bwcases.store.plans import PlanStore
from bwcases.store.proposals import ProposalStore
from bwcases.store.queue import QueueFilters, QueueStore, WorkQueue
from bwcases.store.rates import RateQuery, RateStore


class Store(
    AssessmentStore,
    CaseStore,
    PlanEditStore,
    ProposalStore,
    PlanStore,
    QueueStore,
    EvidenceStore,
    BulkStore,
    AdvisorStore,
    DraftStore,
    CommentStore,
    PiccStore,
    DigestStore,
    RateStore,
):
    """The case store: one object that owns the database and every read and write."""


__all__ = [
    "AssessmentLoader",
    "DigestItems",
    "DigestScope",
    "LoadSummary",
    "QueueFilters",
    "RateQuery",
    "Store",
    "Upload",
    "WorkQueue",
    "default_path",
    "resolve_url",
]

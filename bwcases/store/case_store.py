"""The case store: every part of the store in one object."""

from bwcases.store.advisors import AdvisorStore
from bwcases.store.assessments import AssessmentStore
from bwcases.store.bulk import BulkStore
from bwcases.store.cases import CaseStore
from bwcases.store.comments import CommentStore
from bwcases.store.digests import DigestStore
from bwcases.store.drafts import DraftStore
from bwcases.store.evidence import EvidenceStore
from bwcases.store.picc import PiccStore
from bwcases.store.plan_edits import PlanEditStore
from bwcases.store.plans import PlanStore
from bwcases.store.proposals import ProposalStore
from bwcases.store.queue import QueueStore
from bwcases.store.rates import RateStore


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

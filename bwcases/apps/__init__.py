"""The advisor apps in Voilà: Improvement Plan, remediation tracker and case timeline."""

from bwcases.apps.plan import ImprovementPlan, improvement_plan
from bwcases.apps.request import PageRequest, page_request
from bwcases.apps.timeline import CaseTimeline, case_timeline
from bwcases.apps.tracker import RemediationTracker, remediation_tracker

__all__ = [
    "CaseTimeline",
    "ImprovementPlan",
    "PageRequest",
    "RemediationTracker",
    "case_timeline",
    "improvement_plan",
    "page_request",
    "remediation_tracker",
]

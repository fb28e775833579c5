"""What one server holds and which pages it serves: shared by the server, sign-in and the
kernels' owners."""

from __future__ import annotations

from dataclasses import dataclass

START_PAGE = "improvement_plan.ipynb"
# The apps that wait for their request in a cell tagged REQUEST_TAG, so a preheated kernel
# can run everything before it ahead of time (other notebooks get a fresh kernel per page).
APPS = (
    "improvement_plan.ipynb",
    "remediation_tracker.ipynb",
    "work_queue.ipynb",
    "case_timeline.ipynb",
    "case_overview.ipynb",
)
PAGES_PER_PERSON = 5  # pages' kernels a person keeps: the four apps and the overview, in tabs
MAX_PAGES = 60  # pages' kernels the server keeps (~130 MB each: ~8 GB); then "busy"
# A kernel whose page is gone (no connection: a tab closed offline, a browser that died, a page
# asked for and never opened) and that is idle is stopped after this many minutes. What she typed
# is kept as a draft in the store within seconds (apps.drafts): a stopped kernel loses nothing.
KERNEL_GRACE = 10.0


@dataclass(frozen=True)
class Limits:
    """What one server holds and whom it trusts: see kernel_owners and auth."""

    pages_per_person: int = PAGES_PER_PERSON
    max_pages: int = MAX_PAGES
    kernel_grace: float = KERNEL_GRACE  # minutes
    trusted_proxy: bool = False  # X-Forwarded-For/-Proto of a TLS proxy in front are true

    def args(self) -> list[str]:
        """The command-line options of `python -m bwcases.web.serve` that give these limits."""
        args = [
            f"--pages-per-person={self.pages_per_person}",
            f"--max-pages={self.max_pages}",
            f"--kernel-grace={self.kernel_grace}",
        ]
        return [*args, "--trusted-proxy"] if self.trusted_proxy else args

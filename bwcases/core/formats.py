"""The file formats analysts rely on: column names of each export and their names in code."""

from __future__ import annotations

# The programme's assessment export; "Assesment" is misspelt in the real header.
ASSESSMENT_COLUMNS: dict[str, str] = {
    "Country": "country",
    "Cycle": "cycle",
    "Factory.Assessed.ID": "factory_id",
    "Factory.Assessed.Name": "factory_name",
    "Quest.ID": "quest_id",
    "Assesment.Start.Date": "start_date",
    "Question.type": "question_type",
    "Q.Label": "question_label",
    "Question.ID": "question_id",
    "CP": "compliance_point",
    "Cluster": "cluster",
    "Finding": "finding",
    "Tags": "tags",
}

IMPROVEMENT_PLAN_COLUMNS: dict[str, str] = {
    "Factory.ID": "factory_id",
    "Quest.ID": "quest_id",
    "Question.ID": "question_id",
    "Compliance.point": "compliance_point",
    "Issue": "issue",
    "Action": "action",
    "Responsible": "responsible",
    "Due.Date": "due_date",
    "Status": "status",
    "Notes": "notes",
}
# Only these must be present; the programme's own plan exports carry little more than them.
IMPROVEMENT_PLAN_REQUIRED = ("Factory.ID", "Compliance.point", "Status")

PARTNER_COLUMNS: dict[str, str] = {
    "Partner.ID": "partner_id",
    "Partner.Name": "partner_name",
    "Partner.Type": "partner_type",
    "Factory.ID": "factory_id",
    "Consent": "consent",
}

DATE_FORMAT = "%d/%m/%Y"  # the programme's way of writing dates
MAX_PROBLEMS = 50  # the problems an error lists (by row); the rest are counted

# Columns of a findings frame, the shape metrics work on (the export's, in code names).
FINDING_FRAME_COLUMNS = list(ASSESSMENT_COLUMNS.values())
# The columns that spell a question; a new spelling of a Question.ID is a new catalogue entry.
QUESTION_SPELLING = [
    "question_id",
    "question_label",
    "compliance_point",
    "cluster",
    "question_type",
    "tags",
]

# the output type under which a report records its figures for programs (the batch manifest)
FIGURES_MIME = "application/vnd.bwcases.figures+json"
# ... and the tables an analyst's notebook shows, by name, as JSON records (country synthesis)
TABLES_MIME = "application/vnd.bwcases.tables+json"

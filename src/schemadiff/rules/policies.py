"""Repository policies: what a team forbids in a pull request beyond "additive".

They apply to ``schemadiff check`` only (spec against spec, the pre-merge gate),
are switched on by a policy file, and are reported like rules, with an SD8xx
code. The rules (SD1xx–SD7xx) say what is safe for a live database; a policy
says what this repository accepts in one pull request (seed 000's PR1: "MUST
NOT change existing tables or constraints, add triggers; no RLS changes").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyRule:
    code: str
    name: str  # the key in a policy file's `forbid:` list, and the rule name in reports
    summary: str
    description: str


POLICIES = (
    PolicyRule(
        "SD801", "changes-to-existing-tables",
        "No change to a table that exists at the base",
        "Every change to a table the base spec already has is an error: a new column, index, constraint, "
        "comment, policy, as well as removing the table. New tables, with all they hold, stay allowed. "
        "Seed 000's PR1: \"This PR MUST NOT change existing tables or constraints\"."),
    PolicyRule(
        "SD802", "new-triggers",
        "No new trigger",
        "A trigger added by the change is an error, on an existing table (where SD412 refuses it anyway, "
        "unless waived) and on a new table alike (a new table's triggers arrive with it). Seed 000's PR1: "
        "\"This PR MUST NOT … add triggers\"."),
    PolicyRule(
        "SD803", "rls-changes",
        "No row level security change on an existing table",
        "Enabling, disabling or forcing row level security, or adding, changing or dropping a policy, on a "
        "table the base spec already has, is an error. A new table arriving with its own RLS and policies is "
        "not an RLS change to anything that exists (seed 001 ships its new tables with RLS)."),
    PolicyRule(
        "SD804", "index-without-concurrently",
        "No index on an existing table built without CONCURRENTLY",
        "Every planned CREATE INDEX on a table the base spec already has must be CONCURRENTLY (checked on "
        "the planned statement with the PostgreSQL parser). schemadiff always plans it so; the policy makes "
        "that a checked promise of the gate rather than a habit of the planner."),
    PolicyRule(
        "SD805", "expired-waiver",
        "A waiver past its expiry date",
        "A waiver in the policy file whose `expires` date has passed is itself an error, whether or not it "
        "still matches a finding: renew it with a reason, or remove it."),
    PolicyRule(
        "SD806", "unused-waiver",
        "A waiver that matches no finding",
        "A waiver that waives nothing in this check is reported as a warning, so stale waivers get cleaned up."),
)

BY_CODE = {p.code: p for p in POLICIES}
BY_NAME = {p.name: p for p in POLICIES}
FORBIDDABLE = ("changes-to-existing-tables", "new-triggers", "rls-changes", "index-without-concurrently")

"""What computing a row of a probe's temporary table would call, asked of the server.

``column_facts.rejected_defaults`` computes a new column's default once, on a
temporary table holding one row. The default's own text is judged before
(``converge.volatility``), but the computation runs more than that text: the
column's type may be a domain of the database, whose CHECKs run on the value and
whose own DEFAULT is the value when the column has none, a domain of a domain, an
operator whose function is the database's. Any of them may call a function with an
effect no rollback undoes (a sequence's ``nextval``, a session's advisory lock,
``pg_terminate_backend``, a dblink): the probe must not call it.

So, with the table created (and its CHECKs added) but no row in it yet, the server's
own record of what its defaults, constraints and column types use (``pg_depend``) is
walked: from the table to its defaults and constraints, from those and from every
domain to the types, operators and functions they use, from a domain to its base type
and its constraints. What it reaches and ``unsafe`` names:

- a function outside ``pg_catalog`` or a volatile one (an operator's, a default's or
  a CHECK's), whatever it declares;
- a domain's DEFAULT or CHECK whose text calls one (``volatility``: PostgreSQL records
  no dependency on a ``pg_catalog`` function, so ``nextval`` is found in the text).

A base type's input and output functions are not followed: they ran when the server
took the default's constant, and computing a row does not call them.

The walk is bounded by what the table uses (each object once), and every value it
takes is a bound parameter.
"""

from __future__ import annotations

import psycopg

_REACH = """
WITH RECURSIVE reach(classid, objid) AS (
    SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, pg_catalog.to_regclass(%s)::pg_catalog.oid
  UNION
    SELECT e.classid, e.objid
    FROM reach r
    CROSS JOIN LATERAL (
        SELECT d.refclassid, d.refobjid FROM pg_catalog.pg_depend d
        WHERE d.classid = r.classid AND d.objid = r.objid
          AND d.refclassid IN ('pg_catalog.pg_type'::pg_catalog.regclass, 'pg_catalog.pg_operator'::pg_catalog.regclass,
                               'pg_catalog.pg_proc'::pg_catalog.regclass)
          AND (r.classid <> 'pg_catalog.pg_type'::pg_catalog.regclass
               OR d.refclassid <> 'pg_catalog.pg_proc'::pg_catalog.regclass
               OR (SELECT t.typtype FROM pg_catalog.pg_type t WHERE t.oid = r.objid) = 'd')
      UNION ALL
        SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
        WHERE d.refclassid = r.classid AND d.refobjid = r.objid AND d.deptype = 'a'
          AND r.classid IN ('pg_catalog.pg_class'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass)
          AND d.classid IN ('pg_catalog.pg_attrdef'::pg_catalog.regclass,
                            'pg_catalog.pg_constraint'::pg_catalog.regclass)
    ) AS e(classid, objid)
    WHERE r.classid <> 'pg_catalog.pg_proc'::pg_catalog.regclass
)
SELECT 'f', p.oid::pg_catalog.regprocedure::text
FROM reach r JOIN pg_catalog.pg_proc p ON p.oid = r.objid
WHERE r.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
  AND (p.pronamespace <> 'pg_catalog'::pg_catalog.regnamespace OR p.provolatile = 'v')
UNION ALL
SELECT 'e', pg_catalog.pg_get_expr(t.typdefaultbin, 0)
FROM reach r JOIN pg_catalog.pg_type t ON t.oid = r.objid
WHERE r.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.typtype = 'd' AND t.typdefaultbin IS NOT NULL
UNION ALL
SELECT 'e', pg_catalog.pg_get_expr(k.conbin, 0)
FROM reach r JOIN pg_catalog.pg_constraint k ON k.oid = r.objid
WHERE r.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND k.contypid <> 0 AND k.conbin IS NOT NULL
ORDER BY 1, 2
"""


def unsafe(conn: psycopg.Connection, statements: list[str], relation: str) -> list[str]:
    """What computing a row of ``relation`` (made by ``statements``, run here in a
    savepoint rolled back at once) would call that is not a non-volatile function of
    ``pg_catalog``: the function's signature, or the domain DEFAULT or CHECK text that
    calls it. Empty when ``statements`` fail (the caller's probe reports why)."""
    from .converge import volatility

    try:
        with conn.transaction():
            for statement in statements:
                conn.execute(statement)
            rows = conn.execute(_REACH, (relation,)).fetchall()
            raise psycopg.Rollback()
    except psycopg.Error:
        return []
    functions = [text for kind, text in rows if kind == "f"]
    texts = sorted({text for kind, text in rows if kind == "e"})
    judged = volatility(conn, texts) if texts else {}
    return functions + [text for text in texts if judged.get(text, True)]

"""A live database -> the same ``model.Schema`` a spec loads into.

All catalog reads happen in one ``REPEATABLE READ READ ONLY`` transaction with
``search_path = pg_catalog`` (so types and expressions name every non-built-in
object with its schema, as the model's canonical form wants), using the fixed
set of queries in ``queries/*.sql``: their number does not grow with the number
of tables. Types and expressions are the server's own text.
"""

__all__ = ["IntrospectError", "Introspection", "OutOfScope", "introspect", "user_schemas"]


def __getattr__(name: str):
    # Imported on first use: ``introspect.converge`` (used by ``check``, no database) must not load
    # ``read`` and psycopg with it.
    if name in __all__:
        from . import read

        return getattr(read, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

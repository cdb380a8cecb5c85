"""Catalog rows read by column name, in less memory and time than ``dict_row``'s dicts.

A row is a named tuple: its values' tuple, with the query's one shared class
(cached by psycopg per list of column names). At 10,000 tables the columns,
constraints and indexes queries return hundreds of thousands of rows, all held
at once while the model is built; a dict per row costs about twice the memory,
and an attribute of a named tuple is read in C (``row.name``), where the earlier
``Row`` class of this module ran a Python ``__getitem__`` for each of the ~470,000
reads of 1,000 tables. A name the query does not return is an ``AttributeError``.
"""

from __future__ import annotations

from psycopg.rows import namedtuple_row

# A psycopg row factory: each row a named tuple of the result's column names.
compact_row = namedtuple_row

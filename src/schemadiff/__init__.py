"""schemadiff: a PostgreSQL schema as data; additive migrations or a refusal."""

__version__ = "0.1.0"

"""The phases of a plan, in the order they run (see ``plan``). Their own module: ``plan`` names
them without loading the compiler (and sqlglot) when there is nothing to compile."""

ENUM_VALUES, TRANSACTIONAL, CONCURRENT, VALIDATE = "enum-values", "transactional", "concurrent", "validate"
PHASES = (ENUM_VALUES, TRANSACTIONAL, CONCURRENT, VALIDATE)

"""Where data lives: the database (SQLAlchemy schema, migrations, bulk reads), access control and the
masked views, the audit log, masking, and atomic file outputs."""

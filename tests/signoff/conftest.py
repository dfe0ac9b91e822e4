from tests.parts.conftest import dispatcher, job, stock  # noqa: F401  (shared fixtures)

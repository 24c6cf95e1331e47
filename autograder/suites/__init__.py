"""Hidden pytest suites, one package per assignment. They run in the grader process only."""

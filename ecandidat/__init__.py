"""eCandidat domain: models, workflow, mail, storage, referential, CLI.

Nothing in this package touches a request object: views call into it.
"""

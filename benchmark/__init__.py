"""CLU2, the evaluation of collaborative language understanding and use.

Not built yet: the import name ``playschool.benchmark`` is reserved here so that it stays stable.
"""

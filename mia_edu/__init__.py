"""mia-edu: a hands-on course in membership inference attacks.

The notebooks in ``notebooks/`` teach; this package does the plumbing that would distract from the
lesson. Data flows one way (see ``docs``/README):

``data`` → ``splits`` → ``training`` → ``signals`` → ``attacks`` → ``metrics`` / ``information``
→ ``plots`` / ``widgets``.
"""

__version__ = "0.1.0"

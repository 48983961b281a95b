"""Local fake servers speaking real wire formats (see each module's docstring)."""

"""paperskim: summarize new paper abstracts into takeaways and claimed gains."""

__version__ = "0.1.0"

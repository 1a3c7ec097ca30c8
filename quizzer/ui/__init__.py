"""The terminal UI: rich renderables, prompts and terminal plots.

Rule: rich and plotext are imported only inside this package, and nothing outside it
prints; the rest of quizzer hands it plain core types.
"""

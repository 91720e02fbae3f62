"""Highlighting .rdsl: a Pygments lexer and the TextMate grammar editors read, both from the
vocabulary the grammar and the op table define (words.py).

Rule: imports resdsl.core, resdsl.netgraph and resdsl.language (the vocabulary); never torch."""

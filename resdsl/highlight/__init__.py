"""Highlighting .rdsl: a Pygments lexer and the TextMate grammar editors read, both from the
vocabulary the grammar and the op table define (words.py).

Rule: imports resdsl.core, resdsl.netgraph (the op table) and resdsl.language (the grammar), and
Pygments (the `highlight` extra) in lexer.py only; never torch."""

"""The language: text -> AST -> graph (parse, `use` loading, name resolution, expressions,
networks by name, elaboration, the bundled library).

Rule: imports resdsl.core and resdsl.netgraph; never torch."""

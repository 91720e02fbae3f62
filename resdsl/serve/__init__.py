"""The playground: `resdsl serve`, a page on this machine that checks, costs and draws a network's
text as it is typed (docs/playground.md).

app.py answers the page's JSON API, pipeline.py checks one text (in a worker process, workers.py),
marks.py puts source lines on the diagram's boxes, server.py starts it all. The page's own files
are in static/; its editor is bundled from web/ by scripts/build_web.sh into static/build/.

Rule: imports resdsl.core, resdsl.language, resdsl.targets, resdsl.analysis, resdsl.viz,
starlette and uvicorn (the `serve` extra), resdsl.ide and resdsl.highlight.words; never torch."""

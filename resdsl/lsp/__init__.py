"""The language server (`resdsl lsp`): resdsl.ide's analysis spoken in the Language Server
Protocol over standard input and output, on pygls (the `lsp` extra). A face of the pipeline,
like the command line: it holds no analysis of its own."""


def serve() -> None:
    """Run the server on standard input and output until the editor says `exit`."""
    from .server import serve as run

    run()

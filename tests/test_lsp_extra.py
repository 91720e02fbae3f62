"""`resdsl lsp` without pygls: one diagnostic naming the extra, before anything starts."""

from .cli import cli
from .test_extras import hide


def test_lsp_without_pygls_names_the_lsp_extra(monkeypatch):
    hide(monkeypatch, "pygls")
    result = cli("lsp")
    assert result.returncode == 1, result.output
    assert "error[E913]: resdsl lsp needs the 'pygls' package" in result.output
    assert "pip install 'resdsl[lsp]'" in result.output

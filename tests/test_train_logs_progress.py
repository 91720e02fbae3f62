"""Progress for `resdsl.train(...)` in a notebook: a bar updated in place (tqdm's notebook bar
when tqdm is installed, else an HTML <progress> through IPython's display), validation lines on
stdout; nothing with quiet=True, nothing by default outside a notebook. The notebook is faked:
an IPython module whose shell is a kernel's, and a display that records what it is given."""

import sys
import types

import pytest

import resdsl

from .train_support import tiny_file


class ZMQInteractiveShell:  # the class name IPython's kernel shell has
    pass


class Handle:
    def __init__(self, first):
        self.shown = [first]

    def update(self, obj):
        self.shown.append(obj)


@pytest.fixture
def notebook(monkeypatch):
    """A fake Jupyter kernel; yields the display handles made."""
    from matplotlib import pyplot

    # pyplot hooks itself into a kernel's event loop: not into this fake one
    monkeypatch.setattr(pyplot, "install_repl_displayhook", lambda: None)

    handles = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell
    ipython.version_info = (9, 0, 0, "")  # matplotlib asks
    display = types.ModuleType("IPython.display")
    display.HTML = lambda text: ("html", text)

    def show(obj, display_id=False):
        assert display_id is True  # updated in place, not a new output each time
        handles.append(Handle(obj))
        return handles[-1]

    display.display = show
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return handles


def train(tmp_path, name, **kwargs):
    net = tiny_file(tmp_path)
    return resdsl.train(f"{net}:tiny", "digits", out=tmp_path / name, iterations=6, batch_size=16,
                        eval_every=3, threads=1, **kwargs)


def test_a_notebook_gets_an_html_bar_updated_in_place(tmp_path, notebook, monkeypatch, capfd):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # tqdm not installed
    train(tmp_path, "r")
    (handle,) = notebook
    kinds, texts = zip(*handle.shown)
    assert set(kinds) == {"html"} and len(texts) >= 2
    assert "<progress value='0' max='6'" in texts[0] and "tiny on digits" in texts[0]
    assert "<progress value='6' max='6'" in texts[-1] and "6/6" in texts[-1] and "loss " in texts[-1]
    out, err = capfd.readouterr()
    assert "iter      3/6" in out and "iter      6/6" in out and "val err" in out and err == ""


def test_a_notebook_with_tqdm_gets_its_bar(tmp_path, notebook, monkeypatch, capfd):
    made = []

    class Bar:
        def __init__(self, total, initial, desc, unit, file):
            self.total, self.n, self.desc, self.postfix, self.lines, self.closed = total, initial, desc, "", [], False
            made.append(self)

        def set_postfix_str(self, text, refresh):
            self.postfix = text

        def update(self, n):
            self.n += n

        def write(self, text, file):
            self.lines.append(text)

        def close(self):
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = Bar
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    train(tmp_path, "r")
    (bar,) = made
    assert (bar.total, bar.n, bar.desc, bar.closed) == (6, 6, "tiny on digits", True)
    assert bar.postfix.startswith("loss ") and "img/s" in bar.postfix
    assert [line.split()[1] for line in bar.lines] == ["3/6", "6/6"] and not notebook


def test_quiet_is_quiet_in_a_notebook_and_the_default_outside_one(tmp_path, notebook, monkeypatch, capfd):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    train(tmp_path, "a", quiet=True)
    assert not notebook and capfd.readouterr() == ("", "")
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))  # a plain interpreter
    train(tmp_path, "b")
    assert not notebook and capfd.readouterr() == ("", "")
    train(tmp_path, "c", quiet=False)  # asked for, without a terminal: plain lines on stderr
    out, err = capfd.readouterr()
    assert out == "" and "tiny on digits: iterations 0 to 6" in err and "iter      6/6" in err

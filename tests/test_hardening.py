"""Issue 15's reproducers: no internal error for any input, file or signal. Each case writes out
the message it expects. (The IR reader's are in test_ir_malformed.py, the one-file syntax cases
in tests/malformed/.)"""

import os
import signal
import subprocess
import sys
import time

import pytest

import resdsl
from resdsl.core.errors import ResdslError

from .cli import cli
from .conftest import ROOT


def net(body: str, name: str = "n") -> str:
    return f"network {name} {{\n    input 3x32x32\n{body}}}\n"


# -- 1. compile writes all or none -------------------------------------------------------------

def test_a_failed_weights_step_leaves_the_py_output_byte_identical(tmp_path, monkeypatch):
    out = tmp_path / "out.py"
    out.write_bytes(b"# the user's old file\n")
    for name in ("safetensors", "safetensors.torch"):  # as if safetensors were missing
        monkeypatch.setitem(sys.modules, name, None)
    result = cli("compile", "resnet18", "-o", out, "--save-weights", tmp_path / "w.safetensors", "--force")
    assert result.returncode == 1, result.stderr
    assert "error[E910]: writing weights needs the 'safetensors' package" in result.stderr
    assert out.read_bytes() == b"# the user's old file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.py"]


def test_an_unwritable_second_artifact_leaves_the_first_byte_identical(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "out.json"
    out.write_bytes(b"{}")
    (tmp_path / "file").write_text("a file, not a folder")
    result = cli("compile", "resnet18", "-o", out, "--save-weights", tmp_path / "file" / "w.safetensors",
                 "--force")
    assert result.returncode == 1, result.output
    assert f"error[E920]: cannot write {tmp_path}/file/w.safetensors: {tmp_path}/file is not a folder" \
        in result.output
    assert out.read_bytes() == b"{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "out.json"]


# -- 2. everyday file-system errors are diagnostics --------------------------------------------

def test_output_errors_name_the_path_and_the_reason(tmp_path):
    (tmp_path / "file").write_text("")
    result = cli("compile", "resnet18", "-o", tmp_path / "file" / "x.json")
    assert result.returncode == 1
    assert f"error[E920]: cannot write {tmp_path}/file/x.json: {tmp_path}/file is not a folder" in result.output
    result = cli("compile", "resnet18", "-o", "/proc/x.json")  # a folder no one may create in
    assert result.returncode == 1
    assert "error[E920]: cannot write /proc/x.json: " in result.output
    if os.path.isdir("/sys/kernel"):  # read-only even for root (the tests may run as root)
        result = cli("compile", "resnet18", "-o", "/sys/x.json")
        assert result.returncode == 1
        assert "error[E920]: cannot write /sys/x.json: permission denied" in result.output


def test_an_input_the_os_cannot_read_is_a_diagnostic(tmp_path):
    (tmp_path / "a.rdsl").write_text('use "/proc/self/mem"\n')
    result = cli("--allow-use", "/proc/self", "check", tmp_path / "a.rdsl")
    assert result.returncode == 1, result.output
    assert "error[E504]: cannot read /proc/" in result.output  # /proc/self is the process's folder
    assert "/mem: input/output error" in result.output


def test_an_input_file_the_os_cannot_read(tmp_path):
    result = cli("check", "/proc/self/mem")
    assert result.returncode == 1
    assert "error[E504]: cannot read /proc/" in result.output
    assert "/mem: input/output error" in result.output


def test_a_use_name_over_255_bytes(tmp_path):
    (tmp_path / "a.rdsl").write_text(f'use "{"b" * 300}.rdsl"\n')
    result = cli("check", tmp_path / "a.rdsl")
    assert result.returncode == 1
    assert "error[E504]: cannot read 'bbbb" in result.output
    assert "(305 characters)': file name too long" in result.output


# -- 3. linear elaboration ---------------------------------------------------------------------

def _elaborate_seconds(count: int) -> float:
    text = net("    conv 3x3, 4\n" + "    relu\n" * count)
    start = time.process_time()  # this process's CPU: other processes on the machine do not count
    graph = resdsl.graph_from_text(text)
    assert graph.number_of_nodes() == count + 2
    return time.process_time() - start


def test_unnamed_layers_elaborate_in_linear_time():
    _elaborate_seconds(200)  # warm the parser
    small = min(_elaborate_seconds(2_000) for _ in range(2))
    large = min(_elaborate_seconds(20_000) for _ in range(2))
    # linear: ~10x; the old search for a free relu_N was quadratic (~100x: 67 s for 20,000)
    assert large < 30 * small, (small, large)
    ids = list(resdsl.graph_from_text(net("    relu\n    relu_1: relu\n    relu\n    relu\n")))
    assert ids == ["input", "relu", "relu_1", "relu_2", "relu_3"]


# -- 4. limits on what torch will be asked to allocate -----------------------------------------

def test_a_ten_trillion_parameter_network_fails_check(tmp_path):
    path = tmp_path / "huge.rdsl"
    path.write_text(net("    conv 3x3, 1000000\n    conv 3x3, 1000000\n"))
    result = cli("check", path)
    assert result.returncode == 1
    params = 3 * 9 * 10**6 + 10**6 * 9 * 10**6  # two 3x3 convs without bias
    assert f"error[E608]: network 'n' has {params:,} parameters (36.0TB as float32), over the " \
           "limit of 1,000,000,000" in result.output
    assert "raise the limit with RESDSL_MAX_PARAMS" in result.output


def test_input_and_input_shape_keep_the_spatial_and_width_limits():
    result = cli("check", "resnet50", "--input", "3x1000000x1000000")
    assert result.returncode == 1
    assert "error[E605]: input size 1000000 is over the limit of 65536" in result.output
    with pytest.raises(ResdslError, match="input size 100000 is over the limit of 65536"):
        resdsl.graph("resnet50", input_shape=(3, 100000, 224))
    # channels are checked against the width limit, not the spatial one
    with pytest.raises(ResdslError, match="input channels 2000000 are over the limit of 1048576") as info:
        resdsl.graph("resnet50", input_shape=(2_000_000, 8, 8))
    assert info.value.hint == "raise it with RESDSL_MAX_WIDTH"
    assert resdsl.graph("resnet50", input_shape=(100_000, 32, 32)).graph["input"] == (100_000, 32, 32)
    with pytest.raises(ResdslError, match="three whole numbers"):
        resdsl.graph("resnet50", input_shape=("3", 224, 224))


def test_a_large_export_is_refused_before_allocating():
    pytest.importorskip("torch")
    result = cli("compile", "resnet18", "--input", "3x40000x40000", "-o", "never.pt2")
    assert result.returncode == 1, result.output
    assert "error[E609]: the .pt2 export of 'resnet18' at input 3x40000x40000, batch 2, needs " \
           in result.output
    assert "of activations, over the limit of 17.2GB" in result.output
    assert "RESDSL_MAX_ACTIVATION_BYTES" in result.output
    assert not (ROOT / "never.pt2").exists()


def test_load_with_a_million_classes_is_a_limit_error():
    with pytest.raises(ResdslError) as info:
        resdsl.load("resnet50", classes=1048576)
    assert info.value.code == "E608"
    fc = 2048 * 1000 + 1000  # torchvision's resnet50: 25,557,032 parameters, fc 2048 -> 1000
    params = 25_557_032 - fc + 2048 * 1048576 + 1048576
    assert f"network 'resnet50' has {params:,} parameters" in info.value.message


# -- 5. `use` is confined and never echoes what is not resdsl source ----------------------------

@pytest.mark.parametrize("target", ["/etc/shadow", "/proc/self/environ"])
def test_use_of_a_private_file_is_refused_and_never_quoted(tmp_path, target):
    (tmp_path / "a.rdsl").write_text(f'use "{target}"\n')
    result = cli("check", tmp_path / "a.rdsl")
    assert result.returncode == 1
    assert f"error[E506]: 'use' may not read '{target}'" in result.output
    allowed = cli("--allow-use", os.path.dirname(target), "check", tmp_path / "a.rdsl")
    assert allowed.returncode == 1
    assert "its content is not shown because its name does not end in .rdsl" in allowed.output \
        or "cannot read" in allowed.output
    if os.path.exists(target):
        first = open(target, "rb").read(200).split(b"\n")[0].split(b"\0")[0].decode(errors="replace")
        assert first[:20] not in allowed.output


def test_use_reads_a_regular_file_of_at_most_the_limit(tmp_path):
    huge = tmp_path / "huge.rdsl"
    with open(huge, "wb") as f:  # 2 GB, sparse: the size is refused before anything is read
        f.truncate(2 << 30)
    (tmp_path / "a.rdsl").write_text('use "huge.rdsl"\n')
    result = cli("check", tmp_path / "a.rdsl")
    assert result.returncode == 1
    assert "error[E601]: cannot read huge.rdsl: it is larger than the limit of 1,000,000 bytes; " \
           "raise it with RESDSL_MAX_SOURCE_BYTES" in result.output.replace(str(tmp_path) + "/", "")
    os.mkfifo(tmp_path / "fifo.rdsl")
    (tmp_path / "b.rdsl").write_text('use "fifo.rdsl"\n')
    result = cli("check", tmp_path / "b.rdsl")
    assert "it is a pipe (FIFO), not a regular file" in result.output
    (tmp_path / "c.rdsl").write_text('use "/dev/zero"\n')
    result = cli("--allow-use", "/dev", "check", tmp_path / "c.rdsl")
    assert "error[E505]: cannot read /dev/zero: it is a device, not a regular file" in result.output


def test_use_of_another_folder_needs_the_users_permission(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "lib.rdsl").write_text("block b(w) { conv 3x3, w; relu }\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.rdsl").write_text(
        'use "../shared/lib.rdsl"\n' + net("    stage s: b(8) x 2\n"))
    refused = cli("check", tmp_path / "mine" / "a.rdsl")
    assert refused.returncode == 1
    assert "error[E506]: 'use' may not read '../shared/lib.rdsl'" in refused.output
    assert cli("--allow-use", shared, "check", tmp_path / "mine" / "a.rdsl").returncode == 0
    by_env = cli("check", tmp_path / "mine" / "a.rdsl", env={"RESDSL_USE_PATH": str(shared)})
    assert by_env.returncode == 0, by_env.output


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "out.rdsl").write_text("block b(w) { relu }\n")
    (tmp_path / "in" / "link.rdsl").symlink_to(tmp_path / "out.rdsl")
    (tmp_path / "in" / "a.rdsl").write_text('use "link.rdsl"\n')
    result = cli("check", tmp_path / "in" / "a.rdsl")
    assert "error[E506]: 'use' may not read 'link.rdsl'" in result.output


# -- 7. generated code escapes what it takes from the user ---------------------------------------

NASTY = 'evil""" + __import__("os").system("echo pwned") + """\\x\n'


def test_a_hostile_file_name_stays_inside_the_py_docstring(tmp_path):
    pytest.importorskip("torch")
    import ast

    source = tmp_path / (NASTY.replace("\n", "").replace("/", "") + ".rdsl")
    source.write_text(net("    conv 3x3, 8;  bn;  relu\n"))
    out = tmp_path / "out.py"
    result = cli("compile", source, "-o", out)
    assert result.returncode == 0, result.output
    written = out.read_text()
    assert 'evil\\"\\"\\" + __import__' in written  # escaped in the source
    tree = ast.parse(written)
    assert source.name in ast.get_docstring(tree)  # and read back whole, inside the docstring
    assert all(not isinstance(n, ast.Call) or getattr(n.func, "id", None) != "__import__"
               for n in ast.walk(tree))


def test_hostile_network_layer_and_output_names_from_an_ir_stay_inside_their_strings():
    pytest.importorskip("torch")
    import ast

    from resdsl.ir import dump, load
    from resdsl.torch.backend import build_module
    from resdsl.torch.export import python_source

    data = dump(resdsl.graph_from_text(net("    conv 3x3, 8;  bn;  relu\n")))
    data["network"] = NASTY
    data["outputs"][0]["name"] = 'o"""\\\n\'x'
    graph = load(data)
    module = build_module(graph)
    tree = ast.parse(python_source(module, graph))
    assert NASTY in ast.get_docstring(tree)
    assert not any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "__import__"
                   for n in ast.walk(tree))


def test_the_escape_functions_round_trip():
    import ast

    from resdsl.core.escape import dot_label, python_docstring_text, python_literal

    for text in [NASTY, "a\\b", 'q"q', "'", "\x00\r\t", '"""', "é∑"]:
        assert ast.literal_eval(python_literal(text)) == text
        doc = f'"""{python_docstring_text(text)}"""'
        assert ast.literal_eval(doc) == text  # the escapes read back as the text itself
        label = dot_label(text)
        assert "\n" not in label and "\r" not in label and "\x00" not in label


def test_dot_titles_with_quotes_backslashes_and_newlines_render(tmp_path):
    import shutil

    from resdsl.viz.diagram import diagram

    text = ('block b(w) { conv 3x3, w; relu }\n'
            'network n {\n    input 3x32x32\n    stage s "a\\\\b \' q \\\\n z": b(8) x 2\n}\n')
    dot = diagram(resdsl.graph_from_text(text), "block")
    assert 'a\\\\\\\\b' in dot.source or "a\\\\b" in dot.source
    if shutil.which("dot"):
        done = subprocess.run(["dot", "-Tsvg"], input=dot.source, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


# -- 8. signals and stale temporaries ------------------------------------------------------------

def test_sigterm_during_a_pt2_compile_leaves_no_file(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "x.pt2"
    process = subprocess.Popen([sys.executable, "-m", "resdsl", "compile", "resnet50", "-o", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.name.startswith(".x.pt2.") for p in tmp_path.iterdir()):
            break  # the temporary exists: the export is being written
        time.sleep(0.005)
    assert process.poll() is None, "compile ended before its temporary file appeared"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_a_later_write_removes_temporaries_a_killed_process_left(tmp_path):
    from resdsl.core.files import write_atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.json.resdsl-{dead}-abc123.tmp"
    stale.write_text("left by SIGKILL")
    other = tmp_path / f".other.json.resdsl-{dead}-abc123.tmp"
    other.write_text("another target's")
    write_atomic(tmp_path / "out.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "out.json"]


# -- 9. smaller ones -----------------------------------------------------------------------------

def test_brackets_in_comments_and_strings_do_not_count():
    text = net("    # " + "(" * 65 + "\n    conv 3x3, 8\n").replace("network n", "# " + "[" * 70 + "\nnetwork n")
    assert resdsl.graph_from_text(text).number_of_nodes() == 2


def test_deep_derivation_chains_and_long_products_are_located():
    chain = "network n0 { input 3x8x8; conv 3x3, 4 }\n" + "".join(
        f"n{i} = n{i - 1} with input 3x8x8\n" for i in range(1, 300))
    with pytest.raises(ResdslError) as info:
        resdsl.graph_from_text(chain, "n299")
    assert info.value.code == "E610" and info.value.span.line > 1
    assert "is derived through more than 200 networks" in info.value.message
    product = "network n { input 3x8x8; conv 3x3, " + "*".join(["1"] * 5000) + " }\n"
    with pytest.raises(ResdslError) as info:
        resdsl.graph_from_text(product)
    assert (info.value.code, info.value.span.line, info.value.span.column) == ("E607", 1, 36)
    assert info.value.message == "this expression nests more than 200 operations"


def test_cr_only_and_bom_files(tmp_path):
    text = net("    conv 3x3, 8  # a comment\n    relu\n")
    assert resdsl.graph_from_text(text.replace("\n", "\r")).number_of_nodes() == 3
    path = tmp_path / "bom.rdsl"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert cli("check", path).returncode == 0
    with pytest.raises(ResdslError) as info:
        resdsl.graph_from_text(net("    conv 3x3, 8\n    bnn\n").replace("\n", "\r"))
    assert (info.value.span.line, info.value.span.column) == (4, 5)


def test_a_long_line_is_cut_in_the_diagnostic(tmp_path):
    path = tmp_path / "long.rdsl"
    path.write_text("network n { input 3x8x8; " + "relu; " * 200_000 + "@ }\n")
    result = cli("check", path)
    assert result.returncode == 1
    assert "error[E601]" in result.output or "error[E101]" in result.output
    assert max(len(line) for line in result.output.splitlines()) < 400


def test_a_source_over_the_size_limit_is_not_echoed(tmp_path):
    path = tmp_path / "big.rdsl"
    path.write_text("#" * 1_100_000 + "\n")
    result = cli("check", path)
    assert result.returncode == 1
    assert f"error[E601]: cannot read {path}: it is larger than the limit of 1,000,000 bytes" \
        in result.output
    assert len(result.output) < 500


def test_viz_of_many_layers_says_so_before_it_starts(tmp_path):
    path = tmp_path / "many.rdsl"
    path.write_text(net("    conv 3x3, 4\n" + "    relu\n" * 2500))
    result = cli("viz", path, "--level", "layer", "-o", tmp_path / "many.svg", env={"PATH": ""})
    lines = result.output.splitlines()
    assert lines[0].startswith("note: drawing 2,502 layers one by one; Graphviz may take minutes"), result.output


# -- 10. diagnostics that mislead ----------------------------------------------------------------

def test_an_error_in_a_library_template_notes_the_users_instance(tmp_path):
    path = tmp_path / "my.rdsl"
    path.write_text('use "resnet.rdsl"\n\nnet = resnet(basic, [2, 2, 2])\n')
    result = cli("check", path)
    assert result.returncode == 1
    out = result.output
    assert "resnet.rdsl:15:49: error[E302]: index 3 is out of range for a list of 3" in out
    assert f"  note: in the instance 'net' at {path}:3:1" in out
    assert " 3 | net = resnet(basic, [2, 2, 2])" in out


def test_bundled_name_with_its_own_name_and_an_unknown_network():
    assert cli("check", "resnet18:resnet18").returncode == 0
    with pytest.raises(ResdslError) as info:
        resdsl.graph("resnet50", network="nope")
    assert info.value.message == "resnet.rdsl has no network 'nope'"
    with pytest.raises(ResdslError) as info:
        resdsl.graph("resnet50", network="resnet5")
    assert info.value.hint == "did you mean 'resnet50'?"


# -- exit 3 is for bugs only, and says where to report them --------------------------------------

def test_an_internal_error_says_where_to_report_it(monkeypatch):
    import resdsl.language.library as library

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(library, "open_target", broken)
    result = cli("check", "resnet18")
    assert result.returncode == 3
    assert "internal error: ValueError: a bug" in result.output
    assert "this is a bug in resdsl, not in your input. Please report it at" in result.output
    assert "Reporting bugs" in result.output

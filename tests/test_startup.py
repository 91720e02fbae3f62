"""Start-up: Lark's tables, the index of bundled names and the library's syntax trees are cached in
the user's cache folder, and a bad cache is rebuilt."""

import json

from .conftest import ARCH


def test_parser_tables_are_cached_and_a_broken_cache_is_rebuilt(run_cli, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = run_cli("check", "resnet18", env=env)
    assert first.returncode == 0, first.stderr
    [cache] = (tmp_path / "resdsl").glob("*.lark-cache")
    good = cache.read_bytes()
    cache.write_bytes(good[: len(good) // 2])  # a write cut short
    for tree in (tmp_path / "resdsl").glob("tree-*.pickle"):
        tree.unlink()  # kept syntax trees would spare the parser: make this run parse
    again = run_cli("check", "resnet18", env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    assert len(cache.read_bytes()) > len(good) // 2  # written again, whole


def test_no_usable_cache_folder_still_works(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_cli("flops", ARCH / "resnet.rdsl", "-n", "resnet18",
                     env={"XDG_CACHE_HOME": str(blocker / "below")})
    assert result.returncode == 0 and result.stderr == ""


def _index(folder):
    return json.loads((folder / "resdsl" / "bundled-index.json").read_text())


def test_a_damaged_index_of_bundled_names_is_ignored_and_written_again(run_cli, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = run_cli("check", "resnet18", env=env)
    assert first.returncode == 0, first.stderr
    assert _index(tmp_path)["index"]["resnet18"] == "resnet.rdsl"
    (tmp_path / "resdsl" / "bundled-index.json").write_text('{"key": "cut sh')
    again = run_cli("check", "resnet18", env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    assert _index(tmp_path)["index"]["resnet18"] == "resnet.rdsl"


def test_a_stale_index_is_not_believed(run_cli, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    fresh = run_cli("check", "resnet18", env=env)
    good = _index(tmp_path)
    # an index of another library: resnet18 in vgg.rdsl, and a name that no longer exists
    (tmp_path / "resdsl" / "bundled-index.json").write_text(json.dumps(
        {"key": "another library", "index": {"resnet18": "vgg.rdsl", "resnet9000": "resnet.rdsl"}}))
    again = run_cli("check", "resnet18", env=env)
    assert (again.returncode, again.stdout) == (0, fresh.stdout)
    assert run_cli("check", "resnet9000", env=env).returncode == 1
    assert _index(tmp_path) == good


def test_damaged_or_stale_syntax_trees_are_parsed_again(run_cli, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = run_cli("check", "resnet18", env=env)
    # resnet18 is resnet.rdsl's, which uses blocks.rdsl
    trees = [next((tmp_path / "resdsl").glob(f"tree-{stem}-*.pickle")) for stem in ("blocks", "resnet")]
    whole = {t: t.read_bytes() for t in trees}
    trees[0].write_bytes(whole[trees[0]][:100])  # cut short
    trees[1].write_bytes(whole[trees[0]])  # another file's tree under resnet's key
    again = run_cli("check", "resnet18", env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    assert {t: t.read_bytes() for t in trees} == whole  # written again, whole


def test_trees_of_other_versions_are_kept_beside_ours_three_at_most(run_cli, tmp_path):
    import os

    folder = tmp_path / "resdsl"
    folder.mkdir()
    others = [folder / f"tree-resnet-{n:032x}.pickle" for n in range(5)]  # another checkout's
    for age, path in enumerate(others):
        path.write_bytes(b"not ours")
        os.utime(path, (1_000_000 + age, 1_000_000 + age))  # others[4] written last
    assert run_cli("check", "resnet18", env={"XDG_CACHE_HOME": str(tmp_path)}).returncode == 0
    kept = set(folder.glob("tree-resnet-*.pickle"))
    assert kept - set(others) and len(kept - set(others)) == 1  # ours, written
    assert kept & set(others) == set(others[2:])  # the three written last; the oldest two go

"""Start-up: Lark's tables are cached in the user's cache folder, and a bad cache is rebuilt."""

from .conftest import ARCH


def test_parser_tables_are_cached_and_a_broken_cache_is_rebuilt(run_cli, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    first = run_cli("check", "resnet18", env=env)
    assert first.returncode == 0, first.stderr
    [cache] = (tmp_path / "resdsl").iterdir()
    good = cache.read_bytes()
    cache.write_bytes(good[: len(good) // 2])  # a write cut short
    again = run_cli("check", "resnet18", env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    assert len(cache.read_bytes()) > len(good) // 2  # written again, whole


def test_no_usable_cache_folder_still_works(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_cli("flops", ARCH / "resnet.rdsl", "-n", "resnet18",
                     env={"XDG_CACHE_HOME": str(blocker / "below")})
    assert result.returncode == 0 and result.stderr == ""

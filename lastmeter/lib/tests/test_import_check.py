"""The floor-plan check that `make lint` runs: it must pass on lastmeter and fail on planted faults."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "check_imports.py"


def _run(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), "--package", "pkg", *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [root / "pkg", *(p for p in (root / "pkg").rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()


def test_it_passes_on_the_project_itself():
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_fails_on_a_planted_circle_between_files(tmp_path):
    _write(
        tmp_path,
        {
            "appeals/services.py": "from pkg.appeals.transfers import do_transfer\n",
            "appeals/transfers.py": "from pkg.appeals import locking\n",
            "appeals/locking.py": "import pkg.appeals.services\n",
        },
    )
    result = _run(tmp_path, "--no-floors")
    assert result.returncode == 1
    assert "import circle" in result.stdout
    for module in ("pkg.appeals.services", "pkg.appeals.transfers", "pkg.appeals.locking"):
        assert module in result.stdout


def test_it_ignores_lazy_and_type_checking_imports(tmp_path):
    _write(
        tmp_path,
        {
            "a.py": "from pkg.b import thing\n",
            "b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.a import Other\n"
                "def thing():\n    from pkg.a import other  # breaks the a -> b cycle\n    return other\n"
            ),
        },
    )
    result = _run(tmp_path, "--no-floors")
    assert result.returncode == 0, result.stdout


def test_it_fails_on_a_private_name_from_another_module(tmp_path):
    _write(tmp_path, {"a.py": "def _lock():\n    pass\n", "b.py": "def f():\n    from pkg.a import _lock\n"})
    result = _run(tmp_path, "--no-floors")
    assert result.returncode == 1
    assert "private name _lock imported from pkg.a" in result.stdout


def test_it_fails_when_a_lower_floor_imports_a_higher_one(tmp_path):
    _write(
        tmp_path,
        {
            "grids/models.py": "from pkg.appeals.models import Appeal\n",
            "appeals/models.py": "from pkg.grids.models import Grid\n",
        },
    )
    result = _run(tmp_path)
    assert result.returncode == 1
    assert "floors: grids may not import appeals" in result.stdout
    # ...while the same import upwards-to-downwards is fine.
    assert "floors: appeals may not import grids" not in result.stdout


def test_it_fails_on_a_lazy_import_that_gives_no_reason(tmp_path):
    _write(
        tmp_path,
        {
            "a.py": "X = 1\n",
            "b.py": "def f():\n    from pkg.a import X\n    return X\n",
            "c.py": "def g():\n    # the app registry is not ready at import time\n    from pkg.a import X\n    return X\n",
        },
    )
    result = _run(tmp_path, "--no-floors")
    assert result.returncode == 1
    assert "b.py:2: lazy import of pkg.a without a comment saying why" in result.stdout
    assert "c.py" not in result.stdout

"""Compile NEURON mechanisms (.mod files) once, into a cache keyed by their contents.

``load_mechanisms(paths)`` hashes the .mod files (names and bytes, plus the
NEURON version and machine), compiles them with ``nrnivmodl`` into
``<cache>/nrnmech/<hash>/`` if that folder does not exist yet (in a
temporary folder renamed into place, so a crash or a concurrent process never
leaves a half-built library), and loads the library into this process. The
same files load from the cache in every later process and every study.

NEURON cannot unload a mechanism nor load two with the same name; loading a
different file that defines an already loaded name is refused with the name
and what to do.
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from neuroloom._io.atomic import remove_path, tmp_name
from neuroloom.errors import MechanismCompileError, SimulatorNotInstalledError
from neuroloom.sim.cache import cache_dir

__all__ = ["builtin_mechanisms_dir", "compile_mechanisms", "load_mechanisms", "mechanism_names"]

_NAME = re.compile(r"^\s*(SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)\s+(\w+)", re.MULTILINE)
_loaded: dict[str, str] = {}  # mechanism name -> cache key it was loaded from


def builtin_mechanisms_dir() -> Path:
    """The folder of the .mod files shipped with neuroloom (``nlhh``, ``NlSyn``)."""
    return Path(str(resources.files("neuroloom.sim") / "data" / "mechanisms"))


def _mod_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found = sorted(path.glob("*.mod"))
            if not found:
                raise MechanismCompileError(f"no .mod files in {path}; point to a folder of NMODL files")
            files.extend(found)
        elif path.suffix == ".mod" and path.is_file():
            files.append(path)
        else:
            raise MechanismCompileError(f"{path} is neither a .mod file nor a folder of .mod files")
    names = [f.name for f in files]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise MechanismCompileError(f"two .mod files share a name: {sorted(dupes)}; rename one")
    return files


def mechanism_names(files: Iterable[Path]) -> dict[str, str]:
    """``mechanism name -> file`` declared by the ``NEURON`` blocks of ``files``."""
    out: dict[str, str] = {}
    for f in files:
        for _, name in _NAME.findall(f.read_text(encoding="utf-8", errors="replace")):
            out[name] = str(f)
    return out


def _key(files: list[Path]) -> str:
    import neuron

    digest = hashlib.sha256()
    digest.update(f"neuron={neuron.__version__};machine={platform.machine()}".encode())
    for f in sorted(files, key=lambda p: p.name):
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def _nrnivmodl() -> str:
    exe = shutil.which("nrnivmodl") or str(Path(sys.executable).with_name("nrnivmodl"))
    if not Path(exe).exists():
        raise SimulatorNotInstalledError(
            "nrnivmodl (NEURON's mechanism compiler) was not found; install NEURON with "
            "`pip install neuron` (the `sim` extra: pip install 'neuroloom[sim]') in this environment"
        )
    return exe


def _library(folder: Path) -> Path | None:
    libs = sorted(folder.glob("*/libnrnmech.so")) + sorted(folder.glob("*/.libs/libnrnmech.so"))
    libs += sorted(folder.glob("*/libnrnmech.dylib"))
    return libs[0] if libs else None


def compile_mechanisms(paths: Iterable[str | Path]) -> Path:
    """Compile the .mod files (files or folders) into the cache; return the library path.

    Nothing is compiled if the cache already holds these exact files.
    """
    files = _mod_files(paths)
    key = _key(files)
    folder = cache_dir("nrnmech") / key
    lib = _library(folder)
    if lib is not None:
        return lib
    exe = _nrnivmodl()
    work = folder.with_name(tmp_name())
    work.mkdir(parents=True)
    try:
        for f in files:
            shutil.copy2(f, work / f.name)
        proc = subprocess.run([exe], cwd=work, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or _library(work) is None:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
            raise MechanismCompileError(
                f"nrnivmodl failed to compile {[str(f) for f in files]} (exit code {proc.returncode}); "
                f"fix the NMODL source named in the compiler output:\n{tail}"
            )
        try:
            work.rename(folder)
        except OSError:  # another process finished first: use its copy
            if _library(folder) is None:
                raise
    finally:
        if work.exists():
            remove_path(work)
    lib = _library(folder)
    assert lib is not None
    return lib


def _known_mechanisms() -> set[str]:
    from neuron import h

    names: set[str] = set()
    for kind in (0, 1):
        mt = h.MechanismType(kind)
        for i in range(int(mt.count())):
            mt.select(i)
            s = h.ref("")
            mt.selected(s)
            names.add(str(s[0]))
    return names


def load_mechanisms(paths: Iterable[str | Path] | None = None) -> list[str]:
    """Compile (if needed) and load mechanisms into this process; return their names.

    ``paths=None`` loads neuroloom's own set. Loading the same files twice is a
    no-op; mechanisms already known to NEURON under the same name from these
    files are skipped.
    """
    try:
        from neuron import h
    except ImportError as exc:  # pragma: no cover - neuron is in the sim extra
        raise SimulatorNotInstalledError(
            "NEURON is not installed: pip install neuron (or pip install 'neuroloom[sim]')"
        ) from exc
    files = _mod_files([builtin_mechanisms_dir()] if paths is None else paths)
    names = mechanism_names(files)
    key = _key(files)
    if names and all(_loaded.get(n) == key for n in names):
        return sorted(names)
    clash = [n for n in names if n in _loaded and _loaded[n] != key]
    if clash:
        raise MechanismCompileError(
            f"mechanism(s) {clash} from {sorted({names[n] for n in clash})} are already loaded in this "
            "process from different .mod files; NEURON cannot replace a loaded mechanism: rename them "
            "or run in a fresh process"
        )
    known = _known_mechanisms()
    if names and set(names) <= known:
        # defined by NEURON itself or loaded by the user beforehand
        for n in names:
            _loaded.setdefault(n, key)
        return sorted(names)
    lib = compile_mechanisms(files)
    if not h.nrn_load_dll(str(lib)):
        raise MechanismCompileError(
            f"NEURON could not load the compiled mechanisms {lib}; delete that folder to rebuild it"
        )
    for n in names:
        _loaded[n] = key
    return sorted(names)

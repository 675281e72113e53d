#!/usr/bin/env python3
"""Run one command as a supervised background process, for hosts without systemd.

    hanami-rt-supervise.py [options] start|stop|restart|condrestart|status -- COMMAND...

start        daemonize (double fork, new session, stdin from /dev/null, output appended to
             --log-file), drop to --user when started as root, write --pid-file, then run
             COMMAND and restart it when it fails (like systemd's Restart=on-failure:
             any exit but status 0 or SIGHUP/INT/TERM/PIPE), backing off and giving up
             after 5 failures within 60 s.
             Prints "started pid N", or "running pid N" when it already runs.
stop         SIGTERM to the supervisor, which passes it on to COMMAND, waits --stop-timeout
             seconds, then kills it. Prints "stopped pid N" or "not running".
restart      stop, then start.
condrestart  restart only when running (for configuration changes); "not running" otherwise.
status       exit 0 and "running pid N" when running, else exit 3 and "not running".

COMMAND gets a clean environment: PATH, LANG, HOME (= --workdir) and every --env KEY=VALUE.
Standard library only; installed by the ansible role hanami_rt.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

NOT_RUNNING = 3  # LSB: program is not running
# Exit statuses that are not failures (as for systemd's Restart=on-failure): 0, and death by
# SIGHUP, SIGINT, SIGTERM or SIGPIPE (uvicorn re-raises the signal it shut down gracefully on).
CLEAN_EXITS = {0} | {-s for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE)}
FAILURE_WINDOW_S = 60.0
MAX_FAILURES = 5


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Options and action before `--`, the supervised command after it."""
    if "--" in argv:
        cut = argv.index("--")
        argv, command = argv[:cut], argv[cut + 1 :]
    else:
        command = []
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "restart", "condrestart", "status"])
    parser.add_argument("--pid-file", type=Path, required=True)
    parser.add_argument("--log-file", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, default=Path("/"))
    parser.add_argument("--user", help="run as this user when started as root")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--stop-timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    if args.action in ("start", "restart", "condrestart") and not command:
        parser.error(f"{args.action} needs the command after --")
    return args, command


def log(text: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    print(f"{stamp} hanami-rt-supervise[{os.getpid()}]: {text}", file=sys.stderr, flush=True)


def running_pid(pid_file: Path) -> int | None:
    """The supervisor's pid when the pid file names a live supervisor, else None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by someone else
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.exists():
        try:
            if b"hanami-rt-supervise" not in cmdline.read_bytes():
                return None  # the pid was reused by an unrelated process
        except OSError:
            return None
    return pid


def stop(args: argparse.Namespace) -> int:
    pid = running_pid(args.pid_file)
    if pid is None:
        print("not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.stop_timeout + 10
    while running_pid(args.pid_file) == pid:
        if time.monotonic() > deadline:
            print(f"pid {pid} did not stop within {args.stop_timeout + 10:.0f} s", file=sys.stderr)
            return 1
        time.sleep(0.1)
    print(f"stopped pid {pid}")
    return 0


def start(args: argparse.Namespace, command: list[str]) -> int:
    pid = running_pid(args.pid_file)
    if pid is not None:
        print(f"running pid {pid}")
        return 0
    args.pid_file.unlink(missing_ok=True)
    args.log_file.parent.mkdir(parents=True, exist_ok=True)
    if os.fork() == 0:
        daemon(args, command)  # never returns
    deadline = time.monotonic() + 15
    while (pid := running_pid(args.pid_file)) is None:
        if time.monotonic() > deadline:
            print(f"the supervisor did not start; see {args.log_file}", file=sys.stderr)
            return 1
        time.sleep(0.05)
    print(f"started pid {pid}")
    return 0


def drop_privileges(user: str | None) -> None:
    if user is None or os.getuid() != 0:
        return
    import pwd

    entry = pwd.getpwnam(user)
    if entry.pw_uid == 0:
        return
    os.initgroups(user, entry.pw_gid)
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)


def daemon(args: argparse.Namespace, command: list[str]) -> None:
    """The background process: detach, write the pid file, supervise; exits, never returns."""
    code = 1
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        os.chdir(args.workdir)
        os.umask(0o077)
        log_fd = os.open(args.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(null_fd)
        os.close(log_fd)
        drop_privileges(args.user)
        partial = args.pid_file.with_suffix(".tmp")
        partial.write_text(f"{os.getpid()}\n")
        partial.replace(args.pid_file)
        code = supervise(args, command)
    except BaseException as exc:  # a daemon has nobody else to report to
        log(f"failed: {exc!r}")
    finally:
        try:
            if args.pid_file.read_text().strip() == str(os.getpid()):
                args.pid_file.unlink()
        except OSError:
            pass
        os._exit(code)


def supervise(args: argparse.Namespace, command: list[str]) -> int:
    """Run `command` until asked to stop; restart it after failures (with a limit)."""
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(args.workdir),
    }
    env.update(item.split("=", 1) for item in args.env)
    failures: list[float] = []
    backoff = 1.0
    log(f"supervising: {' '.join(command)}")
    while not stopping:
        child = subprocess.Popen(command, env=env)
        log(f"started pid {child.pid}")
        started = time.monotonic()
        kill_at: float | None = None
        while child.poll() is None:
            if stopping and kill_at is None:
                child.terminate()
                kill_at = time.monotonic() + args.stop_timeout
            elif kill_at is not None and time.monotonic() > kill_at:
                log(f"pid {child.pid} ignored SIGTERM for {args.stop_timeout:.0f} s; killing it")
                child.kill()
                kill_at = float("inf")
            time.sleep(0.1)
        code = child.returncode
        log(f"pid {child.pid} exited with status {code}")
        if stopping:
            return 0
        if code in CLEAN_EXITS:
            log("clean exit; not restarting")
            return 0
        now = time.monotonic()
        if now - started > FAILURE_WINDOW_S:
            backoff = 1.0
        failures = [t for t in failures if now - t < FAILURE_WINDOW_S] + [now]
        if len(failures) >= MAX_FAILURES:
            log(f"{MAX_FAILURES} failures within {FAILURE_WINDOW_S:.0f} s; giving up")
            return 1
        log(f"restarting in {backoff:.0f} s")
        wake = time.monotonic() + backoff
        while not stopping and time.monotonic() < wake:
            time.sleep(0.1)
        backoff = min(backoff * 2, 30.0)
    return 0


def main(argv: list[str]) -> int:
    args, command = parse(argv)
    if args.action == "status":
        pid = running_pid(args.pid_file)
        print("not running" if pid is None else f"running pid {pid}")
        return NOT_RUNNING if pid is None else 0
    if args.action == "stop":
        return stop(args)
    if args.action == "condrestart" and running_pid(args.pid_file) is None:
        print("not running")
        return 0
    if args.action in ("restart", "condrestart"):
        if stop(args) != 0:
            return 1
    return start(args, command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Websocket round trips against a real uvicorn on 127.0.0.1; prints one JSON line.

Starts two server processes on free ports: hanami-rt (temp data dir, MNIST-sized clusters made
through REST) and a bare starlette echo websocket on the same uvicorn stack. The same client
loop (in this process) then measures (a) one client, one cluster, strictly one at a time, learn
and infer; (b) one client pipelining (depth 32); (c) 16 clients over 8 clusters; each also
against the echo, with the ratio ours/echo. Servers run in their own processes so the client's
GIL does not slow them; on 2 cores the client still shares the CPU. Each scenario also reports
the CPU a round trip cost: the server process's (all threads, and its busiest thread: the event
loop when work runs inline) and this client's (Linux /proc).

The client is `wsclient.LeanSocket` (a minimal RFC 6455 client, ~17-25 us of CPU a round trip
here) unless `--client websockets` picks the `websockets` library's (~30-40 us). On 2 shared
cores, whatever the client spends is taken from the servers. With the lean client the echo
ran 14,000-18,500 round trips/s one at a time in most runs here (the issue quotes 14-18k for
this stack), and up to ~28,000 when the scheduler put the echo server and the client on one
core. `--native N` sets the server's native threads (0: none, crowded requests then go to the
worker threads; default: usable cores - 1). `--workers N` sets the server's worker threads
(with `--inline-max-us 0` and `--native 0`, every learn runs on them).

By default the scheduler places the processes. It sometimes runs the client on the server's
core, which serialises the work a learn does after its reply with the client's own. `--pin
apart` keeps the client on CPU 0 and both servers on the other CPUs, as with a client on another
machine; `--pin together` puts all three on CPU 0, the worst placement. The JSON says which.

    python benchmarks/ws.py [--ws websockets-sansio|websockets|wsproto] [--loop asyncio|uvloop]
                            [--http h11|httptools] [--inline-max-us N] [--workers N] [--native N]
                            [--busy-poll-us N]
                            [--client lean|websockets] [--count N] [--pin apart|together]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
import msgpack
import numpy as np
import workload
from servers import PASSWORD, free_port, project_token, wait_ready
from websockets.asyncio.client import connect
from wsclient import LeanSocket

HIDDEN = 400
DEPTH = 32
CLIENTS, CLUSTERS = 16, 8
SETTINGS = {
    "inline_max_us": "ws_inline_max_us",
    "workers": "worker_threads",
    "native": "native_threads",
    "busy_poll_us": "ws_busy_poll_us",
}
"""The options passed on to the hanami-rt server (argparse dest -> its setting), when given."""


# ---- servers ------------------------------------------------------------------------------


def _stack(server: Any, args: argparse.Namespace) -> None:
    """Apply the uvicorn implementation choices (uvicorn resolves them when it runs)."""
    for name in ("ws", "loop", "http"):
        value = getattr(args, name)
        if value:
            setattr(server.config, name, value)


def _pin_server(args: argparse.Namespace) -> None:
    """With --pin, a server process (and every thread it starts) keeps off CPU 0 (apart) or
    stays on it with the client (together)."""
    if args.pin == "apart":
        os.sched_setaffinity(0, os.sched_getaffinity(0) - {0})
    elif args.pin == "together":
        os.sched_setaffinity(0, {0})


def serve_hanami(args: argparse.Namespace) -> None:
    """Child process: hanami-rt exactly as `hanami-rt serve` builds it."""
    _pin_server(args)
    from hanami_rt.server import make_server
    from hanami_rt.settings import load_settings

    overrides: dict[str, Any] = {
        "port": args.port,
        "data_dir": args.data,
        "admin_password": PASSWORD,
        "scrypt_n": 16,
        "scrypt_r": 1,
        "persist_interval_s": 3600,
        "log_level": "warning",
    }
    for name, setting in SETTINGS.items():
        if getattr(args, name) is not None:
            overrides[setting] = getattr(args, name)
    server = make_server(load_settings(env={}, overrides=overrides))
    _stack(server, args)
    server.run()


def serve_echo(args: argparse.Namespace) -> None:
    """Child process: a bare starlette echo websocket on the same uvicorn settings."""
    _pin_server(args)
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    from hanami_rt.server import make_server
    from hanami_rt.settings import load_settings

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_bytes(await websocket.receive_bytes())
        except WebSocketDisconnect:
            pass

    async def ready(request: Any) -> Any:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("ok")

    app = Starlette(routes=[WebSocketRoute("/echo", echo), Route("/readyz", ready)])
    reference = make_server(load_settings(env={}, overrides={"port": args.port}))
    config = reference.config
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            lifespan="off",
            server_header=False,
            ws_max_size=config.ws_max_size,
            ws=config.ws,
            http=config.http,
            loop=config.loop,
            ws_per_message_deflate=config.ws_per_message_deflate,
        )
    )
    _stack(server, args)
    server.run()


def _spawn(kind: str, port: int, data: Path, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, __file__, kind, "--port", str(port), "--data", str(data)]
    for name in ("ws", "loop", "http"):
        if getattr(args, name):
            cmd += [f"--{name}", getattr(args, name)]
    for name in SETTINGS:
        if getattr(args, name) is not None:
            cmd += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    if args.pin:
        cmd += ["--pin", args.pin]
    path = os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": path})


def _make_clusters(url: str) -> tuple[str, list[str]]:
    """A project, a token for it and CLUSTERS MNIST-sized clusters, all through REST."""
    from hanami_rt.bench import TEMPLATE

    template = TEMPLATE.format(cooldown=1e7, hidden=HIDDEN, reduction="false")
    with httpx.Client(base_url=url, timeout=60) as http:
        token = project_token(http)
        auth = {"Authorization": f"Bearer {token}"}
        ids = []
        for i in range(CLUSTERS):
            body = {"name": f"c{i}", "template": template, "seed": i}
            reply = http.post("/v1/clusters", json=body, headers=auth)
            reply.raise_for_status()
            ids.append(reply.json()["id"])
    return token, ids


# ---- CPU accounting -----------------------------------------------------------------------


Sample = tuple[dict[str, float], float]
"""CPU seconds so far: per server thread id, and of this client process."""


class Cpu:
    """CPU time of one server process (per thread, from /proc) and of this client process, so
    each scenario can say what a round trip costs on each side, not only how long it took."""

    def __init__(self, pid: int) -> None:
        self._tasks = Path(f"/proc/{pid}/task")
        self._tick = os.sysconf("SC_CLK_TCK")

    def sample(self) -> Sample:
        """(CPU seconds per server thread id, CPU seconds of this process) so far."""
        threads = {}
        for task in self._tasks.iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the thread ended meanwhile
            threads[task.name] = (int(fields[11]) + int(fields[12])) / self._tick
        times = os.times()
        return threads, times.user + times.system

    @staticmethod
    def per_round_trip(before: Sample, after: Sample, round_trips: int) -> dict[str, float]:
        """Server CPU (all threads, and the busiest one: the event loop when inline) and client
        CPU per round trip, in us (clock ticks of 10 ms: figures of short runs are coarse)."""
        deltas = [after[0][t] - before[0].get(t, 0.0) for t in after[0]]
        scale = 1e6 / max(round_trips, 1)
        return {
            "server_cpu_us": round(sum(deltas) * scale, 1),
            "server_busiest_thread_cpu_us": round(max(deltas, default=0.0) * scale, 1),
            "client_cpu_us": round((after[1] - before[1]) * scale, 1),
        }


# ---- client loops -------------------------------------------------------------------------


def _frames(op: str, cluster: str, count: int, seed: int) -> list[bytes]:
    return workload.frames(op, cluster, *workload.samples(count, seed))


def _summary(
    latencies: list[float], seconds: float, before: Sample, after: Sample
) -> dict[str, float]:
    """Round trips per second, latency percentiles and CPU per round trip."""
    lat = np.asarray(latencies) * 1e6
    return {
        "round_trips_per_s": round(len(latencies) / seconds),
        "p50_us": round(float(np.percentile(lat, 50)), 1),
        "p90_us": round(float(np.percentile(lat, 90)), 1),
        "p99_us": round(float(np.percentile(lat, 99)), 1),
        **Cpu.per_round_trip(before, after, len(latencies)),
    }


class Connection(Protocol):
    """What the client loops use of a connection: the `websockets` client or LeanSocket."""

    async def send(self, message: bytes) -> None: ...
    async def recv(self) -> bytes | str: ...
    async def close(self) -> None: ...


async def _open(url: str, token: str | None, client: str) -> Connection:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    if client == "lean":
        return await LeanSocket.connect(url, headers)
    return await connect(url, additional_headers=headers, compression=None, max_size=None)


def _check(reply: bytes | str, rid: int) -> None:
    msg = msgpack.unpackb(reply)
    if msg.get("id") != rid or msg.get("ok") is False:
        raise RuntimeError(f"unexpected reply to {rid}: {msg}")


async def one_at_a_time(ws: Connection, frames: list[bytes]) -> list[float]:
    """Send, wait for the reply, repeat: the latency of each round trip."""
    latencies = []
    clock = time.perf_counter
    for rid, frame in enumerate(frames):
        started = clock()
        await ws.send(frame)
        reply = await ws.recv()
        latencies.append(clock() - started)
        _check(reply, rid)
    return latencies


async def pipelined(ws: Connection, frames: list[bytes], depth: int) -> list[float]:
    """Keep `depth` requests in flight; the latency of each from send to reply."""
    room = asyncio.Semaphore(depth)
    sent_at = [0.0] * len(frames)
    latencies: list[float] = []
    clock = time.perf_counter

    async def read() -> None:
        for rid in range(len(frames)):
            reply = await ws.recv()
            latencies.append(clock() - sent_at[rid])
            _check(reply, rid)  # replies come back in request order
            room.release()

    reader = asyncio.create_task(read())
    for rid, frame in enumerate(frames):
        await room.acquire()
        sent_at[rid] = clock()
        await ws.send(frame)
    await reader
    return latencies


async def many_clients(
    url: str, token: str | None, frame_sets: list[list[bytes]], cpu: Cpu, client: str
) -> dict[str, float]:
    """One strictly one-at-a-time loop per connection, all at once; its summary."""
    sockets = [await _open(url, token, client) for _ in frame_sets]
    try:
        for ws, frames in zip(sockets, frame_sets, strict=True):  # warm each connection
            await one_at_a_time(ws, frames[:20])
        before, started = cpu.sample(), time.perf_counter()
        results = await asyncio.gather(
            *(one_at_a_time(ws, frames) for ws, frames in zip(sockets, frame_sets, strict=True))
        )
        seconds, after = time.perf_counter() - started, cpu.sample()
    finally:
        for ws in sockets:
            await ws.close()
    latencies = [x for r in results for x in r]
    return _summary(latencies, seconds, before, after)


async def measure(
    ours: str,
    echo: str,
    token: str,
    clusters: list[str],
    count: int,
    cpus: tuple[Cpu, Cpu],
    client: str,
) -> Any:
    result: dict[str, Any] = {}
    learn = _frames("learn", clusters[0], count, 1)
    infer = _frames("infer", clusters[0], count, 2)
    warm = _frames("learn", clusters[0], 300, 3)
    our_cpu, echo_cpu = cpus

    async def timed(coro: Any, cpu: Cpu) -> dict[str, float]:
        before, started = cpu.sample(), time.perf_counter()
        latencies = await coro
        seconds, after = time.perf_counter() - started, cpu.sample()
        return _summary(latencies, seconds, before, after)

    ws, ew = await _open(ours, token, client), await _open(echo, None, client)
    await one_at_a_time(ws, warm)
    await one_at_a_time(ew, warm)
    a_learn = await timed(one_at_a_time(ws, learn), our_cpu)
    a_infer = await timed(one_at_a_time(ws, infer), our_cpu)
    a_echo = await timed(one_at_a_time(ew, learn), echo_cpu)
    pipe_frames = _frames("learn", clusters[0], count * 2, 4)
    b_learn = await timed(pipelined(ws, pipe_frames, DEPTH), our_cpu)
    b_echo = await timed(pipelined(ew, pipe_frames, DEPTH), echo_cpu)
    await ws.close()
    await ew.close()

    per_client = max(200, count // 4)
    sets = [_frames("learn", clusters[i % CLUSTERS], per_client, 10 + i) for i in range(CLIENTS)]
    c_learn = await many_clients(ours, token, sets, our_cpu, client)
    c_echo = await many_clients(echo, None, sets, echo_cpu, client)

    def ratio(a: dict[str, float], b: dict[str, float]) -> float:
        return round(a["round_trips_per_s"] / b["round_trips_per_s"], 3)

    result["a_one_at_a_time"] = {"learn": a_learn, "infer": a_infer, "echo": a_echo}
    result["a_learn_vs_echo"] = ratio(a_learn, a_echo)
    result["b_pipelined"] = {"depth": DEPTH, "learn": b_learn, "echo": b_echo}
    result["b_learn_vs_echo"] = ratio(b_learn, b_echo)
    result["c_many_clients"] = {
        "clients": CLIENTS,
        "clusters": CLUSTERS,
        "learn": c_learn,
        "echo": c_echo,
    }
    result["c_learn_vs_echo"] = ratio(c_learn, c_echo)
    return result


def run(args: argparse.Namespace) -> int:
    """Start both servers, measure, print the JSON line, stop the servers."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hanami-ws-bench-") as tmp:
        port, echo_port = free_port(), free_port()
        procs = [
            _spawn("serve-hanami", port, Path(tmp) / "data", args),
            _spawn("serve-echo", echo_port, Path(tmp) / "echo", args),
        ]
        if args.pin:  # after the spawns: children would inherit it
            os.sched_setaffinity(0, {0})
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            wait_ready(f"http://127.0.0.1:{echo_port}")
            token, clusters = _make_clusters(f"http://127.0.0.1:{port}")
            ours, echo = f"ws://127.0.0.1:{port}/v1/ws", f"ws://127.0.0.1:{echo_port}/echo"
            cpus = (Cpu(procs[0].pid), Cpu(procs[1].pid))
            result = asyncio.run(
                measure(ours, echo, token, clusters, args.count, cpus, args.client)
            )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)
    stack = {name: getattr(args, name) or "default" for name in ("ws", "loop", "http")}
    line = {
        "benchmark": "ws",
        "stack": stack,
        **{name: getattr(args, name) for name in SETTINGS},
        "pinned": args.pin,
        "client": args.client,
        "network": f"784-{HIDDEN}-10",
        **result,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(line))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", nargs="?", default="run", choices=["run", "serve-hanami", "serve-echo"]
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--ws", default=None, help="uvicorn ws implementation (default: uvicorn's)")
    parser.add_argument("--loop", default=None, help="uvicorn event loop (default: uvicorn's)")
    parser.add_argument("--http", default=None, help="uvicorn http implementation")
    parser.add_argument("--inline-max-us", type=float, default=None, help="ws_inline_max_us")
    parser.add_argument("--workers", type=int, default=None, help="worker threads (default: cores)")
    parser.add_argument(
        "--native", type=int, default=None, help="native threads (default: cores - 1; 0: none)"
    )
    parser.add_argument(
        "--busy-poll-us", type=float, default=None, help="ws_busy_poll_us (0: the loop sleeps)"
    )
    parser.add_argument(
        "--client",
        choices=["lean", "websockets"],
        default="lean",
        help="the load generator: wsclient.LeanSocket or the websockets library's client",
    )
    parser.add_argument("--count", type=int, default=3000, help="round trips per measurement")
    parser.add_argument(
        "--pin",
        choices=["apart", "together"],
        default=None,
        help="client on CPU 0; servers on the other CPUs (apart) or on CPU 0 too (together)",
    )
    args = parser.parse_args()
    if args.pin == "apart" and len(os.sched_getaffinity(0) - {0}) == 0:
        parser.error("--pin needs CPU 0 and at least one other CPU")
    if args.mode == "serve-hanami":
        serve_hanami(args)
        return 0
    if args.mode == "serve-echo":
        serve_echo(args)
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())

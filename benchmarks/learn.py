"""One learn at a time, as the realtime path runs it: with the network in cache, and with the
caches swept between calls (what a server does to it between two requests).

The workload is the one `benchmarks/ws.py` sends: MNIST-sized (784 -> 400 -> 10), raw values
0-255 with ~80 % zeros, random one-hot targets, each input a read-only view on a msgpack frame
as the codec hands it out. Besides the whole `Network.learn` it times the two halves an inline
websocket learn runs (`learn_split`: validation and forward pass, before the reply; `finish`:
the backward pass, after it) and the codec's part (decoding the learn frame, encoding the
reply). Prints one JSON line of medians (and p99 of the whole learn) in us.
"""

import argparse
import json
import time

import numpy as np
import workload

from hanami_rt.bench import TEMPLATE
from hanami_rt.core import Network, warm_up
from hanami_rt.wire import LearnRequest, decode_request, encode_outputs


def _median_us(times: list[float]) -> float:
    return round(float(np.median(times)) * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="learns per cache state")
    parser.add_argument("--sweep-mib", type=int, default=4, help="memory read between calls")
    args = parser.parse_args()
    warm_up()
    x, y = workload.samples(3 * args.count)
    frames = workload.frames("learn", "c" * 32, x, y)
    net = Network.from_template(TEMPLATE.format(cooldown=1e7, hidden=400, reduction="false"))
    net.learn_many(x[: args.count], y[: args.count])  # grown, as after a while of traffic
    sweep = np.ones(args.sweep_mib << 20, dtype=np.uint8)
    clock = time.perf_counter
    result: dict[str, object] = {"benchmark": "learn", "network": "784-400-10"}
    for name, swept in (("hot", False), ("swept", True)):
        whole, forward, backward, codec = [], [], [], []
        first = args.count if name == "hot" else 2 * args.count
        for i in range(first, first + args.count, 2):
            # even rows: the whole learn; odd rows: the halves, and the codec around them
            if swept:
                sweep.sum()
            request = decode_request(frames[i])
            assert isinstance(request, LearnRequest)
            started = clock()
            net.learn(request.inputs, request.expected)
            whole.append(clock() - started)
            if swept:
                sweep.sum()
            started = clock()
            request = decode_request(frames[i + 1])
            assert isinstance(request, LearnRequest)
            decoded = clock()
            outputs, finish = net.learn_split(request.inputs, request.expected)
            forwarded = clock()
            encode_outputs(request.id, outputs)
            encoded = clock()
            finish()
            forward.append(forwarded - decoded)
            backward.append(clock() - encoded)
            codec.append((decoded - started) + (encoded - forwarded))
        result[f"{name}_p50_us"] = _median_us(whole)
        result[f"{name}_p99_us"] = round(float(np.percentile(whole, 99)) * 1e6, 1)
        result[f"{name}_forward_p50_us"] = _median_us(forward)
        result[f"{name}_backward_p50_us"] = _median_us(backward)
        result[f"{name}_codec_p50_us"] = _median_us(codec)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

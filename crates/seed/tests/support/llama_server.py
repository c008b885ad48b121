"""llama.cpp's own OpenAI-compatible server (from the PyPI wheel `xllamacpp`) on
loopback, for seed's test against a real server.

    python llama_server.py MODEL.gguf

Prints `READY http://127.0.0.1:<port>` once it answers, and serves until stdin closes
(so it never outlives the test that started it).
"""

import sys

import xllamacpp as xlc


def main() -> None:
    params = xlc.CommonParams()
    params.model.path = sys.argv[1]
    params.n_ctx = 4096
    params.cpuparams.n_threads = 1
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # any free port; the server says which
    server = xlc.Server(params)
    print(f"READY {server.listening_address}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()

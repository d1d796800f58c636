"""A bounded pool of threads: `workers` connections are served at once,
the others queue."""
from concurrent.futures import ThreadPoolExecutor

from demos.wire import handle, main


def serve(server_socket, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            client, _ = server_socket.accept()  # blocking
            # queued until a worker is free; handle() logs its own errors
            pool.submit(handle, client)


if __name__ == "__main__":
    main(serve)

"""A bounded pool of threads: at most `workers` connections are served at once, the rest queue."""
from concurrent.futures import ThreadPoolExecutor

from demos.wire import handle, main


def serve(server_socket, workers):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            client, _ = server_socket.accept()  # blocking: waits for the next connection
            pool.submit(handle, client)  # queued until a worker is free; handle() logs its errors


if __name__ == "__main__":
    main(serve)

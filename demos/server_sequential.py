"""The book's first server: serve one connection to the end, then accept
the next."""
from demos.wire import handle, main


def serve(server_socket):
    while True:
        client, _ = server_socket.accept()  # blocking: the next connection
        handle(client)  # blocking: every other client waits meanwhile


if __name__ == "__main__":
    main(serve)

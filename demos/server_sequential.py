"""The book's first server: accept a connection, serve it to the end, then accept the next."""
from demos.wire import handle, main


def serve(server_socket):
    while True:
        client, _ = server_socket.accept()  # blocking: waits for the next connection
        handle(client)  # blocking: every other client waits in the accept queue meanwhile


if __name__ == "__main__":
    main(serve)
